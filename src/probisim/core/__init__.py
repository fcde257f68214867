"""Foundations every stage uses: named arrays (:mod:`.named_array`), the error
hierarchy (:mod:`.errors`), the atomic writer and the CSV/JSON layer
(:mod:`.io`), and where output directories may go (:mod:`.outdir`). Depends on
nothing else in probisim."""

from .named_array import NamedArray

__all__ = ["NamedArray"]
