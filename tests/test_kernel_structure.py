"""The day step's structure: the day plan written in ``kernels/step.py``'s docstring is
the order in which ``_step_blocks`` calls its phases, and the compiled day step
counts no references (the phases get raw pointers and borrowed arrays)."""

from __future__ import annotations

import inspect
import re

import numpy as np
from numba import njit, typeof

from probisim.kernels import blocks, scratch, step
from probisim.kernels import layout as K

#: a phase in the plan: module._function
_PHASE = re.compile(r"\b(scratch|microbiome|host|mood|step)\.(_\w+)")


def _plan() -> list[str]:
    doc = step.__doc__
    table = doc[doc.index("::") + 2: doc.index("The equations are in")]
    return [f for _, f in _PHASE.findall(table)]


def _calls() -> list[str]:
    src = inspect.getsource(step._step_blocks.py_func)
    body = src[src.index("while True:"):]
    return re.findall(r"\b(_\w+)\(", body)


def test_the_day_plan_is_the_order_of_the_calls():
    plan = _plan()
    assert len(plan) == len(set(plan)) >= 14
    calls = [c for c in _calls() if c in plan]
    assert calls == plan
    for name in plan:  # every phase named in the plan exists where the plan says
        module = re.search(rf"\b(\w+)\.{name}\b", step.__doc__).group(1)
        mod = step if module == "step" else __import__(f"probisim.kernels.{module}", fromlist=[name])
        assert hasattr(mod, name), (module, name)


def test_scratch_layout_rows_do_not_overlap():
    rows = [(scratch.ROW_TRAITS, K.N_TRAITS), (scratch.ROW_DRIVERS, K.N_DRIVERS), (scratch.ROW_CODE, 1),
            (scratch.ROW_MOOD, K.N_MOOD), (scratch.ROW_HOST, K.N_HOST)]
    vw = scratch._VW
    end = 0
    for start, n in rows:
        assert start == end
        end = start + n * vw
    assert scratch.TAXA == end
    assert sorted(getattr(scratch, f"TR_{r}") for r in scratch.TAXON_ROWS) == list(range(0, scratch.TAXON_STRIDE, vw))
    assert scratch.width(20) == end + 20 * scratch.TAXON_STRIDE


def _small_model_arrays(n=20, S=7):
    """step_day's arguments for n participants and S taxa (values do not matter here)."""
    z, one = np.zeros, np.ones
    PRM = one(len(K.PARAM_NAMES))
    PRM[K.P_BAR_REF] = 0.5
    return (one((n, S)), one((n, K.N_HOST)), z((n, K.N_MOOD)), one((n, K.N_TRAITS)), one((n, S)), one((n, S)),
            one((n, S)), z((n, K.N_DRIVERS)), z((n, S)), z((0, S)), one((S, K.N_TAXON_PARAMS)), z((S, S)),
            one(K.N_NORMS), PRM, np.zeros((n, 2), np.uint32), np.arange(n, dtype=np.uint32), np.int64(0),
            np.zeros(n, np.int64), np.zeros(n, np.int64), z((0, 2 * S)))


def _function_body(llvm_ir: str, name: str) -> str:
    for m in re.finditer(r"^define [^\n]*@\"?([^\"(\s]+)\"?\(.*?\n\}", llvm_ir, re.S | re.M):
        if name in m.group(1) and "cpython" not in m.group(1):
            return m.group(0)
    raise AssertionError(f"no function {name} in the IR")


def test_compiled_day_step_counts_no_references():
    """Compiles _step_blocks afresh (the cached copy cannot be inspected): its body holds
    no NRT incref/decref at all (an array handed to an inlined phase unborrowed would
    leave an atomic pair per call inside the loops)."""
    arrays = _small_model_arrays()
    n, S = arrays[0].shape
    modidx, nmod = blocks._modulated_taxa(arrays[10])
    args = (*arrays, np.arange(n), np.int64(n), modidx, np.int64(nmod), blocks._block_ranges(2, 1), np.int64(0),
            np.int64(1), np.empty((1, scratch.width(S)))[0], np.empty((1, scratch.ISC_WORDS), np.uint32)[0])
    sig = tuple(typeof(a) for a in args)
    fresh = njit(error_model="numpy")(step._step_blocks.py_func)
    fresh.compile(sig)
    body = _function_body(fresh.inspect_llvm(sig), "_step_blocks")
    assert "@NRT_incref" not in body and "@NRT_decref" not in body
