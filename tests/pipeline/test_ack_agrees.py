"""The 997/CONTRL agrees with what is stored (issue 15, item 5): what the acknowledgement rejects is
not stored (unless the partner profile says ``acks.store_rejected``, and the timeline says so);
the other interchanges of a file go on, and every interchange ends with its outcome. Each case on
a real SQLite file and on PostgreSQL; the 997/CONTRL bytes and the stored documents both checked."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from gateway.console import create_app
from gateway.edi import parse
from gateway.edi.edifact.contrl import read_contrl
from gateway.edi.x12.ack import read_997
from gateway.service import pipeline
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Document, Message, MessageEvent, User
from tests.conftest import BACKENDS, pg_schema
from tests.pipeline.conftest import make_home, numbered_po, sample

OpenRuntime = Callable[..., Runtime]


@pytest.fixture(params=BACKENDS)
def open_runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenRuntime]:
    """Opens a gateway on the backend (a real SQLite file, or a fresh PostgreSQL schema); with
    ``store_rejected=True`` the partner profiles store what the acknowledgement rejects."""
    homes = itertools.count(1)
    with ExitStack() as stack:

        def opener(*, store_rejected: bool = False) -> Runtime:
            url = stack.enter_context(pg_schema("ack")) if request.param == "postgresql" else None
            config = make_home(tmp_path / f"gw{next(homes)}", url)
            if store_rejected:
                for name in ("amazon-us", "amazon-eu"):
                    profile = config.parent / "partners" / f"{name}.yaml"
                    text = profile.read_text(encoding="utf-8")
                    profile.write_text(
                        text.replace("acks:\n", "acks:\n  store_rejected: true\n", 1), encoding="utf-8"
                    )
            rt = Runtime.open(config)
            stack.callback(rt.close)
            return rt

        yield opener


@pytest.fixture
def runtime(open_runtime: OpenRuntime) -> Runtime:
    return open_runtime()


# --- building files -----------------------------------------------------------------------------

_PO_BODY = [
    line
    for line in sample("x12_4010_850_new_po.edi").decode().split("~")
    if line.strip() and line.strip()[:3] not in ("ISA", "GS*", "GE*", "IEA", "ST*", "SE*")
]
_ISA = sample("x12_4010_850_new_po.edi").decode().split("~")[0].strip()


def x12_transaction(control: str, po: str) -> list[str]:
    body = [s.replace("4TQ8ZK2M", po) for s in _PO_BODY]
    return [f"ST*850*{control}", *body, f"SE*{len(body) + 2}*{control}"]


def x12_interchange(icn: int, groups: list[tuple[str, list[str]]]) -> list[str]:
    """An interchange (ISA13 ``icn``) of groups ``(GS06, [PO numbers])``, every count right."""
    segments = [_ISA.replace("000004101", f"{icn:09d}")]
    for gs06, pos in groups:
        segments.append(f"GS*PO*AMAZON*ACMEVENDOR*20260112*0815*{gs06}*X*004010")
        for n, po in enumerate(pos, start=1):
            segments += x12_transaction(f"{n:04d}", po)
        segments.append(f"GE*{len(pos)}*{gs06}")
    segments.append(f"IEA*{len(groups)}*{icn:09d}")
    return segments


def x12(*interchanges: list[str]) -> bytes:
    return "".join(s + "~\n" for ic in interchanges for s in ic).encode()


_UNB = "UNB+UNOA:3+5450534000000:14+4012345000009:14+260210:0700+{ref}'"
_ORDERS = [
    s + "'"
    for s in sample("edifact_d96a_orders_po.edi").decode().replace("\n", "").split("'")
    if s and s[:3] not in ("UNB", "UNH", "UNT", "UNZ")
]


def edifact(ref: str, pos: list[str], *, unt: dict[int, str] | None = None, unz: str | None = None) -> bytes:
    """An interchange (UNB05 ``ref``) of ORDERS messages, one per PO number; ``unt`` replaces the
    UNT segment count of message n, ``unz`` the whole UNZ."""
    parts = [_UNB.format(ref=ref)]
    for n, po in enumerate(pos, start=1):
        body = [s.replace("8MV2KD4R", po) for s in _ORDERS]
        count = (unt or {}).get(n, str(len(body) + 2))
        parts += [f"UNH+{n}+ORDERS:D:96A:UN:EAN008'", *body, f"UNT+{count}+{n}'"]
    parts.append(unz if unz is not None else f"UNZ+{len(pos)}+{ref}'")
    return "\n".join(parts).encode()


# --- reading what happened ----------------------------------------------------------------------


def _message(runtime: Runtime, message_id: int) -> Message:
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def stored(runtime: Runtime, message_id: int) -> set[str]:
    with session_scope(runtime.engine) as session:
        rows = session.exec(select(Document).where(col(Document.source_message_id) == message_id)).all()
        return {d.business_key for d in rows}


def ack_text(runtime: Runtime, message_id: int) -> str:
    message = _message(runtime, message_id)
    assert message.ack_message_id is not None, "no acknowledgement queued"
    ack = _message(runtime, message.ack_message_id)
    return runtime.archive.path_for(ack.sha256).read_bytes().decode()


def accepted_in_997(text: str) -> set[tuple[str, str]]:
    """(GS06, ST02) of every transaction set the 997s accept (AK5 A in a group not AK9 R)."""
    found = set()
    for tx in parse(text.encode()).transactions:
        result = read_997(tx)
        if result.status == "rejected":
            continue
        found |= {
            (result.group_control_number or "", t.control_number)
            for t in result.transactions
            if t.status == "accepted"
        }
    return found


def outcomes(runtime: Runtime, message_id: int) -> list[dict[str, Any]]:
    entries = _message(runtime, message_id).interchanges or []
    assert all(e["outcome"] != "pending" for e in entries), entries
    return entries


def timeline(runtime: Runtime, message_id: int) -> list[str]:
    with session_scope(runtime.engine) as session:
        events = session.exec(select(MessageEvent).where(col(MessageEvent.message_id) == message_id)).all()
        return [e.note or "" for e in events]


# --- X12 ----------------------------------------------------------------------------------------


def test_a_wrong_ge_count_rejects_the_group_and_stores_none_of_it(runtime: Runtime) -> None:
    good = x12_interchange(11, [("1101", ["A1101A", "A1101B"]), ("1102", ["A1102A"])])
    bad = [s.replace("GE*1*1102", "GE*2*1102") for s in good]
    receipt = pipeline.ingest(runtime, x12(bad), "ge.edi")
    assert receipt.state == "failed"
    text = ack_text(runtime, receipt.message_id)
    assert "AK1*PO*1101~AK2*850*0001~AK5*A~AK2*850*0002~AK5*A~AK9*A*2*2*2~" in text.replace("\n", "")
    assert "AK1*PO*1102~AK2*850*0001~AK5*A~AK9*R*2*1*0*5~" in text.replace("\n", "")
    assert stored(runtime, receipt.message_id) == {"A1101A", "A1101B"}
    (entry,) = outcomes(runtime, receipt.message_id)
    assert entry["outcome"] == "rejected" and entry["documents"] == 2
    assert entry["rejected"] == [
        {"group": "1102", "status": "R", "envelope": True, "codes": ["X12_GE_COUNT_MISMATCH"]}
    ]
    assert _message(runtime, receipt.message_id).error_code == "X12_GE_COUNT_MISMATCH"


@pytest.mark.parametrize(
    ("trailer", "code"),
    [
        ("IEA*3*000000012", "X12_IEA_COUNT_MISMATCH"),
        ("IEA*2*000000099", "X12_IEA_CONTROL_MISMATCH"),
        (None, "X12_IEA_MISSING"),
    ],
)
def test_a_bad_iea_rejects_every_group_of_the_interchange(
    runtime: Runtime, trailer: str | None, code: str
) -> None:
    segments = x12_interchange(12, [("1201", ["B1201A"]), ("1202", ["B1202A", "B1202B"])])
    segments = segments[:-1] + ([trailer] if trailer else [])
    receipt = pipeline.ingest(runtime, x12(segments), "iea.edi")
    assert receipt.state == "failed"
    text = ack_text(runtime, receipt.message_id).replace("\n", "")
    assert "AK9*R*1*1*0~" in text and "AK9*R*2*2*0~" in text
    assert accepted_in_997(text) == set()
    assert stored(runtime, receipt.message_id) == set()
    (entry,) = outcomes(runtime, receipt.message_id)
    assert entry["outcome"] == "rejected" and entry["codes"] == [code] and entry["documents"] == 0
    assert _message(runtime, receipt.message_id).error_code == code


def test_a_rejected_transaction_set_is_not_stored_its_siblings_are(runtime: Runtime) -> None:
    segments = x12_interchange(13, [("1301", ["C1301A", "C1301B", "C1301C"])])
    second_se = [i for i, s in enumerate(segments) if s.startswith("SE*")][1]
    segments[second_se] = "SE*99*0002"
    receipt = pipeline.ingest(runtime, x12(segments), "se.edi")
    assert receipt.state == "failed"
    text = ack_text(runtime, receipt.message_id).replace("\n", "")
    assert "AK2*850*0002~AK5*R*4~" in text and "AK9*P*3*3*2~" in text
    assert accepted_in_997(text) == {("1301", "0001"), ("1301", "0003")}
    assert stored(runtime, receipt.message_id) == {"C1301A", "C1301C"}
    (entry,) = outcomes(runtime, receipt.message_id)
    assert entry["outcome"] == "rejected" and entry["rejected"][0]["status"] == "P"


def test_store_rejected_stores_the_rejected_group_and_says_so(open_runtime: OpenRuntime) -> None:
    runtime = open_runtime(store_rejected=True)
    good = x12_interchange(14, [("1401", ["D1401A"]), ("1402", ["D1402A"])])
    bad = [s.replace("GE*1*1402", "GE*7*1402") for s in good]
    receipt = pipeline.ingest(runtime, x12(bad), "kept.edi")
    assert receipt.state == "failed"  # the envelope error is still reported
    text = ack_text(runtime, receipt.message_id).replace("\n", "")
    assert "AK1*PO*1402~AK2*850*0001~AK5*A~AK9*R*7*1*0*5~" in text  # the 997 still rejects it
    assert stored(runtime, receipt.message_id) == {"D1401A", "D1402A"}
    (entry,) = outcomes(runtime, receipt.message_id)
    assert entry["outcome"] == "stored" and entry["stored_although_rejected"] == ["1402"]
    note = "stored although the acknowledgement rejected group 1402 (partner profile acks.store_rejected)"
    assert any(note in n for n in timeline(runtime, receipt.message_id))
    # a transaction set rejected itself is never stored, whatever the profile says
    segments = x12_interchange(15, [("1501", ["D1501A", "D1501B"])])
    segments[next(i for i, s in enumerate(segments) if s.startswith("SE*"))] = "SE*99*0001"
    again = pipeline.ingest(runtime, x12(segments), "se-kept.edi")
    assert stored(runtime, again.message_id) == {"D1501B"}
    # the console's message page shows the outcome and why
    app = create_app(runtime, {"TESTING": True, "SECRET_KEY": "test"})
    with session_scope(runtime.engine) as session:
        session.add(User(username="viewer", password_hash="x", role="viewer"))
    client = app.test_client()
    from tests.console.conftest import login_as

    login_as(client, runtime, "viewer")
    page = client.get(f"/messages/{receipt.message_id}").get_data(as_text=True)
    assert 'class="outcome-stored"' in page
    assert "although the 997 rejected group 1402 (partner profile acks.store_rejected)" in page
    assert note in page  # the timeline


def test_three_interchanges_one_stored_one_failed_one_rejected(runtime: Runtime) -> None:
    first = x12_interchange(21, [("2101", ["E2101A"])])
    no_mapping = [s.replace("ST*850*", "ST*860*") for s in x12_interchange(22, [("2201", ["E2201A"])])]
    bad_ge = [s.replace("GE*1*2301", "GE*2*2301") for s in x12_interchange(23, [("2301", ["E2301A"])])]
    receipt = pipeline.ingest(runtime, x12(first, no_mapping, bad_ge), "three.edi")
    assert receipt.state == "failed"
    message = _message(runtime, receipt.message_id)
    assert "X12_GE_COUNT_MISMATCH" in (message.error_message or "")
    assert "no inbound mapping for x12 860" in (message.error_message or "")
    # the 997 rejects only the third: the second's 860 is syntactically fine
    text = ack_text(runtime, receipt.message_id).replace("\n", "")
    assert accepted_in_997(text) == {("2101", "0001"), ("2201", "0001")}
    assert "AK1*PO*2301~AK2*850*0001~AK5*A~AK9*R*2*1*0*5~" in text
    assert stored(runtime, receipt.message_id) == {"E2101A"}
    one, two, three = outcomes(runtime, receipt.message_id)
    assert (one["outcome"], one["documents"]) == ("stored", 1)
    assert two["outcome"] == "failed" and [p["code"] for p in two["problems"]] == ["NO_MAPPING"]
    assert three["outcome"] == "rejected" and three["codes"] == ["X12_GE_COUNT_MISMATCH"]
    with session_scope(runtime.engine) as session:
        session.add(User(username="viewer", password_hash="x", role="viewer"))
    client = create_app(runtime, {"TESTING": True, "SECRET_KEY": "test"}).test_client()
    from tests.console.conftest import login_as

    login_as(client, runtime, "viewer")
    page = client.get(f"/messages/{receipt.message_id}").get_data(as_text=True)
    rows = re.findall(r'<tr class="outcome-(\w+)">', page)
    assert rows == ["stored", "failed", "rejected"]
    assert "rejected in the 997: group 2301 R (X12_GE_COUNT_MISMATCH)" in page


def test_a_good_file_ends_with_every_interchange_stored(runtime: Runtime) -> None:
    receipt = pipeline.ingest(runtime, numbered_po(31) + numbered_po(32), "good.edi")
    assert receipt.state == "done"
    assert [(e["outcome"], e["documents"]) for e in outcomes(runtime, receipt.message_id)] == [
        ("stored", 1),
        ("stored", 1),
    ]


# --- EDIFACT ------------------------------------------------------------------------------------


def contrl(runtime: Runtime, message_id: int) -> tuple[str, Any]:
    text = ack_text(runtime, message_id)
    (tx,) = parse(text.encode()).transactions
    return text, read_contrl(tx)


@pytest.mark.parametrize(
    ("unz", "code", "detail"),
    [
        ("UNZ+3+EU41'", "EDIFACT_UNZ_COUNT_MISMATCH", "+4+29+UNZ+1'"),
        ("UNZ+2+EU99'", "EDIFACT_UNZ_CONTROL_MISMATCH", "+4+28+UNZ+2'"),
        ("", "EDIFACT_UNZ_MISSING", "+4+13"),
    ],
)
def test_a_bad_unz_rejects_the_interchange_and_stores_nothing(
    runtime: Runtime, unz: str, code: str, detail: str
) -> None:
    receipt = pipeline.ingest(runtime, edifact("EU41", ["F41A", "F41B"], unz=unz), "unz.edi")
    assert receipt.state == "failed"
    text, result = contrl(runtime, receipt.message_id)
    assert re.search(r"UCI\+EU41\+[^']*" + re.escape(detail), text), text
    assert result.status == "rejected"
    assert stored(runtime, receipt.message_id) == set()
    (entry,) = outcomes(runtime, receipt.message_id)
    assert entry["outcome"] == "rejected" and entry["codes"] == [code]
    assert "rejected in the CONTRL" in entry["detail"]


def test_a_bad_unt_rejects_that_message_only(runtime: Runtime) -> None:
    receipt = pipeline.ingest(runtime, edifact("EU42", ["F42A", "F42B"], unt={1: "99"}), "unt.edi")
    assert receipt.state == "failed"
    text, result = contrl(runtime, receipt.message_id)
    assert "+7'" in text.split("UCI+", 1)[1].split("'")[0] + "'"  # the interchange is accepted
    assert "UCM+1+ORDERS:D:96A:UN:EAN008+4+29+UNT+1'" in text
    assert "UCM+2+ORDERS:D:96A:UN:EAN008+7'" in text
    assert [(t.control_number, t.status) for t in result.transactions] == [
        ("1", "rejected"),
        ("2", "accepted"),
    ]
    assert stored(runtime, receipt.message_id) == {"F42B"}
    (entry,) = outcomes(runtime, receipt.message_id)
    assert entry["outcome"] == "rejected" and entry["documents"] == 1


def test_store_rejected_keeps_the_messages_of_a_rejected_edifact_interchange(
    open_runtime: OpenRuntime,
) -> None:
    runtime = open_runtime(store_rejected=True)
    receipt = pipeline.ingest(runtime, edifact("EU43", ["F43A"], unz="UNZ+5+EU43'"), "kept.edi")
    _text, result = contrl(runtime, receipt.message_id)
    assert result.status == "rejected"
    assert stored(runtime, receipt.message_id) == {"F43A"}
    (entry,) = outcomes(runtime, receipt.message_id)
    assert entry["outcome"] == "stored" and "although the CONTRL rejected" in entry["detail"]


# --- property: the stored documents are exactly what the 997 accepts -----------------------------

_examples = itertools.count(1)
#: (trailer tag, what to do): change element 1 (count), element 2 (control number), or drop it
_CORRUPTIONS = st.lists(
    st.tuples(
        st.sampled_from(["SE", "GE", "IEA"]), st.integers(0, 7), st.sampled_from(["count", "control", "drop"])
    ),
    max_size=3,
)


def _corrupt(segments: list[str], changes: list[tuple[str, int, str]]) -> list[str]:
    out = list(segments)
    for tag, which, how in changes:
        places = [i for i, s in enumerate(out) if s.startswith(tag + "*")]
        if not places:
            continue
        at = places[which % len(places)]
        elements = out[at].split("*")
        if how == "drop":
            out[at] = ""
        elif how == "count":
            elements[1] = str(int(elements[1]) + 1) if elements[1].isdigit() else "1"
            out[at] = "*".join(elements)
        else:
            elements[2] = "9" + elements[2][1:]
            out[at] = "*".join(elements)
    return [s for s in out if s]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=_CORRUPTIONS)
def test_stored_documents_are_exactly_what_the_997_accepts(
    runtime: Runtime, changes: list[tuple[str, int, str]]
) -> None:
    n = next(_examples)
    pos: dict[tuple[str, str], str] = {}
    interchanges = []
    for i in (1, 2):
        groups = []
        for g in (1, 2):
            gs06 = f"{n:04d}{i}{g}"
            numbers = [f"H{n:04d}{i}{g}{t}" for t in (1, 2)]
            pos |= {(gs06, f"{t:04d}"): po for t, po in enumerate(numbers, start=1)}
            groups.append((gs06, numbers))
        interchanges.append(x12_interchange(n * 10 + i, groups))
    segments = _corrupt(interchanges[0] + interchanges[1], changes)
    receipt = pipeline.ingest(runtime, x12(segments), f"mutated-{n}.edi")
    assert receipt.state in ("done", "failed")
    message = _message(runtime, receipt.message_id)
    accepted = accepted_in_997(ack_text(runtime, receipt.message_id)) if message.ack_message_id else set()
    assert stored(runtime, receipt.message_id) == {pos[k] for k in accepted}
    if message.interchanges:
        outcomes(runtime, receipt.message_id)  # none left pending


def test_a_held_file_filed_as_duplicate_leaves_no_interchange_pending_nor_lost(runtime: Runtime) -> None:
    from gateway.service.pipeline import suspects

    pipeline.ingest(runtime, numbered_po(41), "first.edi")
    changed = numbered_po(41).replace(b"PO1*1*24*EA", b"PO1*1*25*EA")
    held = pipeline.ingest(runtime, changed + numbered_po(42), "held.edi")
    assert held.state == "suspect_duplicate"
    suspects.decide(runtime, held.message_id, "duplicate", actor="ops", reason="resend")
    suspect, other = outcomes(runtime, held.message_id)
    assert suspect["outcome"] == "suspect_duplicate"
    assert other["outcome"] == "failed" and other["detail"].startswith("not processed")
    # interchange 42 was never stored: delivered again on its own it is new, not a duplicate
    again = pipeline.ingest(runtime, numbered_po(42), "42-again.edi")
    assert again.state == "done"
    assert stored(runtime, again.message_id) == {"P0000042"}


def test_a_resumed_run_counts_the_documents_of_each_interchange_once(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from gateway.service.pipeline import store, translate

    monkeypatch.setattr(store, "BATCH", 4)
    real = translate._translate_one
    calls: list[int] = []

    def down_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 7:  # one batch of 4 committed, the database goes away in the second
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        return real(*args, **kwargs)

    monkeypatch.setattr(translate, "_translate_one", down_once)
    one = x12_interchange(51, [("5101", [f"G5101{n}" for n in range(5)])])
    two = x12_interchange(52, [("5201", [f"G5201{n}" for n in range(4)])])
    receipt = pipeline.ingest(runtime, x12(one, two), "resumed.edi")
    assert receipt.state == "busy"  # left unfinished, its first batch committed
    unfinished = _message(runtime, receipt.message_id)
    assert unfinished.state == "translated" and unfinished.progress is not None
    assert unfinished.progress["per_interchange"] == {"1": 4}
    assert pipeline.recover(runtime) == [receipt.message_id]
    assert _message(runtime, receipt.message_id).state == "done"
    assert len(stored(runtime, receipt.message_id)) == 9
    assert [(e["outcome"], e["documents"]) for e in outcomes(runtime, receipt.message_id)] == [
        ("stored", 5),
        ("stored", 4),
    ]


def _grouped(ref: str, groups: list[tuple[str, list[str], str | None]]) -> bytes:
    """An EDIFACT interchange of UNG groups ``(reference, [PO numbers], UNE count or None)``."""
    parts = [_UNB.format(ref=ref)]
    for reference, pos, count in groups:
        parts.append(f"UNG+ORDERS+5450534000000:14+4012345000009:14+260210:0700+{reference}+UN+D:96A'")
        for n, po in enumerate(pos, start=1):
            body = [s.replace("8MV2KD4R", po) for s in _ORDERS]
            parts += [f"UNH+{n}+ORDERS:D:96A:UN:EAN008'", *body, f"UNT+{len(body) + 2}+{n}'"]
        parts.append(f"UNE+{count or len(pos)}+{reference}'")
    parts.append(f"UNZ+{len(groups)}+{ref}'")
    return "\n".join(parts).encode()


def test_a_bad_une_rejects_that_group_only(runtime: Runtime) -> None:
    data = _grouped("EU44", [("G1", ["F44A"], None), ("G2", ["F44B", "F44C"], "5")])
    receipt = pipeline.ingest(runtime, data, "une.edi")
    assert receipt.state == "failed"
    text, result = contrl(runtime, receipt.message_id)
    assert re.search(r"UCI\+EU44\+[^']*\+7'", text), text
    assert "UCF+G1+5450534000000+4012345000009+7'" in text
    assert "UCF+G2+5450534000000+4012345000009+4+29+UNE+1'" in text
    # read back, the messages under the rejected UCF are rejected with its code
    assert [t.status for t in result.transactions] == ["accepted", "rejected", "rejected"]
    assert result.transactions[1].codes == ["29"]
    assert stored(runtime, receipt.message_id) == {"F44A"}
    (entry,) = outcomes(runtime, receipt.message_id)
    assert entry["outcome"] == "rejected" and entry["rejected"][0]["group"] == "G2"


def _edifact_segments(ref: str, groups: list[tuple[str, list[tuple[str, str]]]]) -> list[str]:
    """An interchange of UNG groups ``(reference, [(UNH reference, PO number)])``, counts right."""
    out = [_UNB.format(ref=ref).rstrip("'")]
    for reference, messages in groups:
        out.append(f"UNG+ORDERS+5450534000000:14+4012345000009:14+260210:0700+{reference}+UN+D:96A")
        for unh, po in messages:
            body = [s.replace("8MV2KD4R", po).rstrip("'") for s in _ORDERS]
            out += [f"UNH+{unh}+ORDERS:D:96A:UN:EAN008", *body, f"UNT+{len(body) + 2}+{unh}"]
        out.append(f"UNE+{len(messages)}+{reference}")
    out.append(f"UNZ+{len(groups)}+{ref}")
    return out


def _corrupt_edifact(segments: list[str], changes: list[tuple[str, int, str]]) -> list[str]:
    tags = {"SE": "UNT", "GE": "UNE", "IEA": "UNZ"}
    out = list(segments)
    for tag, which, how in changes:
        places = [i for i, s in enumerate(out) if s.startswith(tags[tag] + "+")]
        if not places:
            continue
        at = places[which % len(places)]
        elements = out[at].split("+")
        if how == "drop":
            out[at] = ""
        elif how == "count":
            elements[1] = str(int(elements[1]) + 1) if elements[1].isdigit() else "1"
            out[at] = "+".join(elements)
        else:
            elements[2] = "Z" + elements[2][1:]
            out[at] = "+".join(elements)
    return [s for s in out if s]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=_CORRUPTIONS)
def test_stored_documents_are_exactly_what_the_contrl_accepts(
    runtime: Runtime, changes: list[tuple[str, int, str]]
) -> None:
    n = next(_examples)
    pos: dict[tuple[str, str], str] = {}
    segments: list[str] = []
    for i in (1, 2):
        ref = f"R{n:04d}{i}"
        groups = []
        for g in (1, 2):
            messages = [(f"M{g}{t}", f"K{n:04d}{i}{g}{t}") for t in (1, 2)]
            pos |= {(ref, unh): po for unh, po in messages}
            groups.append((f"G{g}", messages))
        segments += _edifact_segments(ref, groups)
    data = "'\n".join(_corrupt_edifact(segments, changes)) + "'"
    receipt = pipeline.ingest(runtime, data.encode(), f"mutated-{n}.edi")
    assert receipt.state in ("done", "failed")
    message = _message(runtime, receipt.message_id)
    accepted: set[tuple[str, str]] = set()
    if message.ack_message_id:
        for tx in parse(ack_text(runtime, receipt.message_id).encode()).transactions:
            result = read_contrl(tx)
            if result.status != "rejected":
                ref = result.interchange_control_number or ""
                accepted |= {(ref, t.control_number) for t in result.transactions if t.status == "accepted"}
    assert stored(runtime, receipt.message_id) == {pos[k] for k in accepted}
    if message.interchanges:
        outcomes(runtime, receipt.message_id)
