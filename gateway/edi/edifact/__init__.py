"""EDIFACT syntax: UNA, tokenizer, envelope reader, writer (pydifact), CONTRL.

Public entry points (import them from their modules; this package imports nothing so
that reading never loads pydifact):

- :func:`gateway.edi.edifact.reader.read_edifact` — text chunks -> events;
- :class:`gateway.edi.edifact.tokenizer.Tokenizer` / :func:`~gateway.edi.edifact.tokenizer.tokenize`
  — sans-IO segments;
- :func:`gateway.edi.edifact.delimiters.parse_una` — the UNA service string advice;
- :func:`gateway.edi.edifact.writer.write_edifact` — an outbound interchange -> bytes;
- :func:`gateway.edi.edifact.contrl.build_contrl` / :func:`~gateway.edi.edifact.contrl.read_contrl`.
"""
