"""ACORN: an EDI gateway for suppliers trading with Amazon as a Vendor (1P).

Layers only look down: ``edi`` (syntax) <- ``mapping`` (with ``canonical``) <-
``pipeline`` (with ``store``, ``transports``) <- ``console`` and ``cli``.
"""

__version__ = "0.1.0"
