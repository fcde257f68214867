"""Foundations every stage uses: named arrays (and, as they are unified, errors and
atomic file I/O). Depends on nothing else in probisim."""

from .named_array import NamedArray

__all__ = ["NamedArray"]
