"""Errors of the configuration layer: every problem names the file, the line and the key.

``config.yaml`` and ``partners/*.yaml`` are edited by hand, so a bad file must stop
start-up with ``FILE:LINE: key: problem`` lines, never with a traceback. The shape is
:mod:`gateway.common.problems`'; :class:`ConfigError` is the family an operator fixes.
"""

from __future__ import annotations

from gateway.common.problems import Problem, ProblemError

#: One thing wrong in a configuration source (kept as a name: the same shape as every problem).
ConfigProblem = Problem


class ConfigError(ProblemError):
    """The configuration or a partner profile is invalid; ``problems`` lists each defect."""

    summary = "invalid configuration"
