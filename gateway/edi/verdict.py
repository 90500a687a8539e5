"""The acknowledgement's verdict: which interchanges, groups and transactions of a file it accepts.

One writer of the decision that the 997/CONTRL states and the pipeline obeys: :func:`judge`
(a whole parsed file) and :func:`judge_interchange` (one interchange) read the envelopes and the
issues and say, level by level, what is rejected and why. :func:`~gateway.edi.x12.ack.build_997`
and :func:`~gateway.edi.edifact.contrl.build_contrl` write what it says, and the pipeline's
translate stage stores only what it accepts, so the acknowledgement and the store cannot disagree.

The rules (errors reject the envelope they sit in; warnings never reject):

- an error of the interchange's own envelope (IEA/UNZ count or control number wrong, the trailer
  missing, an ISA/UNB defect) rejects the interchange, and with it every group and transaction
  in it (997: every group's AK9 ``R``; CONTRL: UCI action 4);
- an error of a group's envelope (GE/UNE count or control number wrong, the trailer missing, a
  GS/UNG defect) rejects the group and every transaction in it (AK9 ``R``, UCF action 4). An
  EDIFACT group without UNG is the interchange itself: its envelope errors reject the interchange;
- an error inside a transaction (SE/UNT count or control number wrong, the trailer missing, a bad
  segment) rejects that transaction only (AK5 ``R``, UCM action 4);
- an error positioned in an envelope the file does not have (a transaction or group the reader
  never handed over) rejects the envelope above it, so nothing is accepted by omission.

A transaction is *accepted* when it, its group and its interchange all are. Whether its mapping
then translates it is not the acknowledgement's business: X12 and EDIFACT acknowledge syntax, so
a transaction that cannot be translated is still accepted in the 997/CONTRL and its failure is
reported on the message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gateway.edi.document import ParsedFile, ParsedGroup, ParsedInterchange
from gateway.edi.errors import Issue, Severity
from gateway.edi.model import Transaction


@dataclass(frozen=True, slots=True)
class TransactionVerdict:
    """One transaction set / message and the errors of its own (AK5, UCM)."""

    index: int
    type: str
    control_number: str
    errors: tuple[Issue, ...] = ()

    @property
    def ok(self) -> bool:
        """No error of its own (its group or interchange may still be rejected)."""
        return not self.errors


@dataclass(frozen=True, slots=True)
class GroupVerdict:
    """One functional group: the errors of its own envelope (AK9, UCF) and its transactions."""

    index: int
    functional_id: str
    control_number: str
    implicit: bool
    errors: tuple[Issue, ...]
    transactions: tuple[TransactionVerdict, ...]
    #: the interchange around it is rejected (so is the group, whatever its own envelope says)
    in_rejected_interchange: bool = False

    @property
    def rejected(self) -> bool:
        """The whole group is rejected: its envelope, or its interchange's."""
        return bool(self.errors) or self.in_rejected_interchange

    @property
    def accepted(self) -> tuple[TransactionVerdict, ...]:
        """The transactions the acknowledgement accepts (none of a rejected group)."""
        return () if self.rejected else tuple(t for t in self.transactions if t.ok)

    @property
    def status(self) -> str:
        """The AK9 status: ``A`` all accepted, ``P`` some, ``R`` none (or the envelope is broken)."""
        if self.rejected:
            return "R"
        accepted = len(self.accepted)
        if accepted == len(self.transactions):
            return "A"
        return "R" if accepted == 0 else "P"

    def find(self, transaction: int) -> TransactionVerdict | None:
        return next((t for t in self.transactions if t.index == transaction), None)


@dataclass(frozen=True, slots=True)
class InterchangeVerdict:
    """One interchange: the errors of its own envelope (UCI; every AK9) and its groups."""

    index: int
    control_number: str
    errors: tuple[Issue, ...]
    groups: tuple[GroupVerdict, ...]

    @property
    def rejected(self) -> bool:
        """The whole interchange is rejected (its own envelope is broken)."""
        return bool(self.errors)

    @property
    def rejects_anything(self) -> bool:
        """Something of it is rejected: the interchange, a group or a transaction."""
        return self.rejected or any(g.rejected or len(g.accepted) < len(g.transactions) for g in self.groups)

    def group(self, index: int) -> GroupVerdict | None:
        return next((g for g in self.groups if g.index == index), None)

    def accepts(self, group: int, transaction: int) -> bool:
        """Whether the acknowledgement accepts transaction ``transaction`` of group ``group``."""
        found = self.group(group)
        tx = found.find(transaction) if found is not None else None
        return found is not None and tx is not None and tx.ok and not found.rejected

    def codes(self) -> list[str]:
        """Every error code that rejects something of this interchange, each once, in order found."""
        found: list[str] = []
        issues = list(self.errors) + [i for g in self.groups for i in g.errors]
        issues += [i for g in self.groups for t in g.transactions for i in t.errors]
        for issue in issues:
            if issue.code.value not in found:
                found.append(issue.code.value)
        return found


@dataclass(frozen=True, slots=True)
class FileVerdict:
    """The verdict on each interchange of a file, by its index; the keys (interchange, group,
    transaction) of what is accepted, and of what only its envelope rejects, for lookups in
    constant time (a file of 20,000 transactions asks once per transaction)."""

    interchanges: dict[int, InterchangeVerdict]
    accepted: frozenset[tuple[int, int, int]] = frozenset()
    envelope_rejected: frozenset[tuple[int, int, int]] = frozenset()

    def accepts(self, tx: Transaction) -> bool:
        """Whether the acknowledgement accepts ``tx`` (it, its group and its interchange are fine)."""
        return (tx.interchange.index, tx.group.index, tx.index) in self.accepted

    def only_envelope_rejects(self, tx: Transaction) -> bool:
        """``tx`` has no error of its own, yet its group or interchange is rejected."""
        return (tx.interchange.index, tx.group.index, tx.index) in self.envelope_rejected


def judge(parsed: ParsedFile) -> FileVerdict:
    """The verdict on every interchange of ``parsed`` (from the file's issues)."""
    by_interchange: dict[int | None, list[Issue]] = {}
    for issue in parsed.issues:
        if issue.severity is Severity.ERROR:
            by_interchange.setdefault(issue.position.interchange, []).append(issue)
    verdicts = {
        ic.header.index: judge_interchange(ic, by_interchange.get(ic.header.index, []))
        for ic in parsed.interchanges
    }
    accepted, envelope = set(), set()
    for index, verdict in verdicts.items():
        for group in verdict.groups:
            ok = {t.index for t in group.accepted}
            for t in group.transactions:
                if t.index in ok:
                    accepted.add((index, group.index, t.index))
                elif t.ok and group.rejected:
                    envelope.add((index, group.index, t.index))
    return FileVerdict(verdicts, frozenset(accepted), frozenset(envelope))


def judge_interchange(interchange: ParsedInterchange, issues: Iterable[Issue]) -> InterchangeVerdict:
    """The verdict on ``interchange``; ``issues`` may be the whole file's (others are ignored)."""
    index = interchange.header.index
    errors = [i for i in issues if i.severity is Severity.ERROR and i.position.interchange == index]
    known_groups = {g.header.index: g for g in interchange.groups}
    own = [i for i in errors if i.position.group is None or i.position.group not in known_groups]
    for group in interchange.groups:
        if group.header.implicit:  # EDIFACT messages without UNG: the group is the interchange
            own += _group_errors(group, errors)
    rejected = bool(own)
    groups = tuple(_judge_group(g, errors, rejected) for g in interchange.groups)
    return InterchangeVerdict(index, interchange.header.control_number, tuple(own), groups)


def _group_errors(group: ParsedGroup, errors: list[Issue]) -> list[Issue]:
    """The errors of the group's own envelope, and those of transactions it does not have."""
    mine = [i for i in errors if i.position.group == group.header.index]
    known = {t.index for t in group.transactions}
    return [i for i in mine if i.position.transaction is None or i.position.transaction not in known]


def _judge_group(group: ParsedGroup, errors: list[Issue], interchange_rejected: bool) -> GroupVerdict:
    header = group.header
    by_transaction: dict[int | None, list[Issue]] = {}
    for issue in errors:
        if issue.position.group == header.index:
            by_transaction.setdefault(issue.position.transaction, []).append(issue)
    transactions = tuple(
        TransactionVerdict(t.index, t.type, t.control_number, tuple(by_transaction.get(t.index, ())))
        for t in group.transactions
    )
    own = () if header.implicit else tuple(_group_errors(group, errors))
    return GroupVerdict(
        header.index,
        header.functional_id,
        header.control_number,
        header.implicit,
        own,
        transactions,
        in_rejected_interchange=interchange_rejected,
    )
