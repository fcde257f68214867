"""Compiled kernels: everything that runs per participant per day, in Numba.

Layout is struct-of-arrays: one row per participant. The day step
(:mod:`.step`) works on blocks of ``_VW`` participants ("lanes"): it copies a
block into a per-thread scratch with the lane as the fastest axis and runs every
per-participant operation on all lanes at once with explicit SIMD vectors
(:mod:`.simd`), including its own vectorisable exp/expm1/log/sin/cos
(:mod:`.vecmath`; Numba would call scalar libm, one value at a time). Threads
take contiguous ranges of blocks (:mod:`.blocks`) inside a ``prange`` loop with
no allocation inside the loop. Lanes never interact and run exactly the IEEE
operations a participant would run alone, and randomness comes only from
Philox4x32-10 (:mod:`.philox`) countered by (participant id, day, site, block),
so results are bit-identical for any thread count, chunking or participant order.

Modules: :mod:`.layout` (array layouts, plain Python), :mod:`.philox` and
:mod:`.rng` (random streams), :mod:`.simd` and :mod:`.vecmath` (the SIMD layer),
:mod:`.blocks` (work sharing), :mod:`.step` (the model's day step), :mod:`.floor`
(the benchmark's arithmetic floor), :mod:`.reference` (the plain NumPy step, the
test oracle), :mod:`.threads` (the Numba thread count) and :mod:`.cache`.

The on-disk cache of every jitted function here is keyed by a hash of all the
package's sources (:mod:`.cache`), so editing any helper recompiles the kernels
that use it.
"""

from .cache import install as _install_cache

_install_cache()  # before any module of the package defines a jitted function
