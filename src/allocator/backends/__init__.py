"""Solver backends: HiGHS in-process (default) and PuLP (CBC, HiGHS via PuLP, any PuLP solver)."""

from allocator.backends.base import Backend, RawResult

__all__ = ["Backend", "RawResult"]
