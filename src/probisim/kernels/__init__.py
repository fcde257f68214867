"""Compiled kernels: everything that runs per participant per day, in Numba.

Layout is struct-of-arrays: one row per participant. The day step works on blocks
of ``_VW`` participants ("lanes"): it copies a block into a per-thread scratch with
the lane as the fastest axis and runs every per-participant operation on all lanes
at once with explicit SIMD vectors, including its own vectorisable
exp/expm1/log/sin/cos (Numba would call scalar libm, one value at a time). Threads
take contiguous ranges of blocks inside a ``prange`` loop with no allocation inside
the loop. Lanes never interact and run exactly the IEEE operations a participant
would run alone, and randomness comes only from Philox4x32-10 countered by
(participant id, day, site, block), so results are bit-identical for any thread
count, chunking or participant order.

The model (read these for its equations):

- :mod:`.step` -- :func:`~.step.step_day`, the entry point, and the *day plan*: the
  ordered list of phases one block goes through in a day (gather, daily noise, day
  constants, the substeps of microbiome and host, host out, mood, failure checks,
  scatter), written once, in its module docstring;
- :mod:`.microbiome` -- daily noise, per-day taxon constants and today's diet, and
  the generalized Lotka-Volterra substep (prebiotic shares, weighted loads, host
  modulation, competition and the exact logistic growth ``_grow``);
- :mod:`.host` -- the gut-brain host substep (butyrate, barrier, LPS, IL-6, CRP,
  Kyn/Trp, serotonin, GABA, vagal tone, cortisol);
- :mod:`.mood` -- the Euler-Maruyama day step of stress, anxiety and depression;
- :mod:`.scratch` -- the named layout of the per-thread scratch (one table of what
  each row holds), its row accessors, and the gather and scatter phases;
- :mod:`.layout` -- the array layouts shared with the Python side (parameter vector,
  host state, traits, drivers, taxon parameters), plain Python.

Each phase is a function inlined into the day step (``@njit(inline="always")``),
so the compiled kernel is one function as fast as a hand-fused loop.

The machinery: :mod:`.simd` (vector lane types on llvmlite intrinsics, loads,
stores, selects, borrowed arrays), :mod:`.vecmath` (vectorisable elementary
functions), :mod:`.philox` and :mod:`.rng` (random streams), :mod:`.blocks` (work
sharing: atomic block counters, per-thread scratch placement), :mod:`.floor` (the
benchmark's arithmetic floor), :mod:`.reference` (the plain NumPy step, the test
oracle) and :mod:`.cache`.

The on-disk cache of every jitted function here is keyed by a hash of all the
package's sources (:mod:`.cache`), so editing any helper recompiles the kernels
that use it.
"""

from .cache import install as _install_cache

_install_cache()  # before any module of the package defines a jitted function
