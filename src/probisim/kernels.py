"""Numba kernels: the counter-based generator and the per-day population step.

Everything jitted lives in this one module on purpose: Numba's on-disk cache
keys a function by its own source file, so a kernel that called a helper in
another module would keep running a stale compiled copy after that helper was
edited.

Layout is struct-of-arrays: one row per participant. The day step works on
blocks of ``_VW`` participants ("lanes"): it copies a block into a per-thread
scratch with the lane as the fastest axis and runs every per-participant
operation on all lanes at once with explicit SIMD vectors (the ``_VecF`` type
below), including its own vectorisable exp/expm1/log/sin/cos (Numba would call
scalar libm, one value at a time). Threads take contiguous ranges of blocks
inside a ``prange`` loop with no allocation inside the loop. Lanes never
interact and run exactly the IEEE operations a participant would run alone, and
randomness comes only from Philox4x32-10 countered by (participant id, day,
site, block), so results are bit-identical for any thread count, chunking or
participant order.
"""

from __future__ import annotations

import math
import operator

import numpy as np
from llvmlite import ir
from numba import get_num_threads, njit, prange, types, uint32, uint64
from numba.core import cgutils
from numba.extending import intrinsic, models, overload, register_model

# --------------------------------------------------------------------------
# Philox4x32-10 (Salmon et al. 2011; constants from Random123)
# --------------------------------------------------------------------------
_M0 = uint64(0xD2511F53)
_M1 = uint64(0xCD9E8D57)
_W0 = uint32(0x9E3779B9)
_W1 = uint32(0xBB67AE85)
_MASK32 = uint64(0xFFFFFFFF)
_TWO_PI = 2.0 * math.pi
_INV_2_32 = 1.0 / 4294967296.0


@njit(cache=True, inline="always")
def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """Ten Philox rounds on counter (c0..c3) with key (k0, k1); four uint32 out."""
    c0 = uint64(c0)
    c1 = uint64(c1)
    c2 = uint64(c2)
    c3 = uint64(c3)
    k0 = uint64(k0)
    k1 = uint64(k1)
    for _ in range(10):
        p0 = _M0 * c0
        p1 = _M1 * c2
        hi0 = p0 >> uint64(32)
        lo0 = p0 & _MASK32
        hi1 = p1 >> uint64(32)
        lo1 = p1 & _MASK32
        c0 = (hi1 ^ c1 ^ k0) & _MASK32
        c1 = lo1
        c2 = (hi0 ^ c3 ^ k1) & _MASK32
        c3 = lo0
        k0 = (k0 + uint64(_W0)) & _MASK32
        k1 = (k1 + uint64(_W1)) & _MASK32
    return uint32(c0), uint32(c1), uint32(c2), uint32(c3)


@njit(cache=True, inline="always")
def _u01(w):
    """uint32 -> double strictly inside (0, 1)."""
    return (float(w) + 0.5) * _INV_2_32


@njit(cache=True, error_model="numpy")
def _box_muller_u(u0, u1):
    """Box-Muller on two uniforms (float64 scalars or lane vectors alike), with the
    in-module log and sin/cos below (<= 1 ulp from libm; vectorisable)."""
    r = math.sqrt(-2.0 * _log(u0))
    sn, cs = _sincos(_TWO_PI * u1)
    return r * cs, r * sn


@njit(cache=True, inline="always")
def _box_muller(w0, w1):
    return _box_muller_u(_u01(w0), _u01(w1))


@njit(cache=True, inline="always")
def _normals_into(k0, k1, pid, step, site, out, count):
    """Fill out[:count] with standard normals; block b covers draws 4b..4b+3."""
    nblk = (count + 3) // 4
    for b in range(nblk):
        r0, r1, r2, r3 = philox4x32_10(pid, step, site, uint32(b), k0, k1)
        z0, z1 = _box_muller(r0, r1)
        z2, z3 = _box_muller(r2, r3)
        j = 4 * b
        out[j] = z0
        if j + 1 < count:
            out[j + 1] = z1
        if j + 2 < count:
            out[j + 2] = z2
        if j + 3 < count:
            out[j + 3] = z3


@njit(cache=True, parallel=True)
def fill_normals(keys, pids, step, site, out):
    """out[p, :] = standard normals for participant p at (step, site)."""
    n, count = out.shape
    for p in prange(n):
        _normals_into(keys[p, 0], keys[p, 1], pids[p], step, site, out[p], count)


@njit(cache=True, parallel=True)
def fill_uniforms(keys, pids, step, site, out):
    """out[p, :] = uniforms in (0, 1) for participant p at (step, site)."""
    n, count = out.shape
    nblk = (count + 3) // 4
    for p in prange(n):
        for b in range(nblk):
            r0, r1, r2, r3 = philox4x32_10(pids[p], step, site, uint32(b), keys[p, 0], keys[p, 1])
            j = 4 * b
            out[p, j] = _u01(r0)
            if j + 1 < count:
                out[p, j + 1] = _u01(r1)
            if j + 2 < count:
                out[p, j + 2] = _u01(r2)
            if j + 3 < count:
                out[p, j + 3] = _u01(r3)


# --------------------------------------------------------------------------
# Array layouts (column indices). The Python side builds arrays in exactly
# these layouts; ``probisim.model`` checks the parameter vector against
# PARAM_NAMES, so the layout has one definition: here.
# --------------------------------------------------------------------------
PARAM_NAMES = (
    "micro.substeps_per_day", "micro.transit_washout_per_day", "micro.stool_g_per_day",
    "micro.extinction_floor_cells_per_g", "micro.km_fibre_g", "micro.km_prebiotic_g", "micro.km_sugar_g",
    "micro.reference_fibre_g", "micro.reference_sugar_g", "micro.cross_competition",
    "micro.congener_resident_competition", "micro.acetate_crossfeeding", "micro.interaction_sd",
    "micro.strain_half_load_cells_per_g",
    "host.tau_butyrate_days", "host.tau_barrier_days", "host.tau_il6_days", "host.tau_crp_days",
    "host.tau_serotonin_days", "host.tau_gaba_days", "host.tau_cortisol_days", "host.barrier_reference",
    "host.barrier_butyrate", "host.barrier_cortisol", "host.barrier_inflammation", "host.il6_reference_pg_ml",
    "host.il6_lps", "host.il6_cortisol", "host.il6_butyrate", "host.il6_fermented", "host.crp_il6_exponent",
    "host.kyn_trp_il6_exponent", "host.trp_availability_exponent", "host.serotonin_sporeformer_weight",
    "host.serotonin_butyrate_weight", "host.vagal_gaba_weight", "host.vagal_serotonin_weight",
    "host.vagal_butyrate_weight", "host.vagal_strain_weight", "host.cortisol_reference_nmol_l",
    "host.cortisol_stressor", "host.cortisol_inflammation", "host.cortisol_vagal",
    "host.stress_management_reactivity", "host.stress_management_vagal",
    "mood.reversion_stress", "mood.reversion_anxiety", "mood.reversion_depression", "mood.noise_stress",
    "mood.noise_anxiety", "mood.noise_depression", "mood.stress_from_stressor", "mood.stress_from_cortisol",
    "mood.anxiety_from_cortisol", "mood.depression_from_cortisol", "mood.anxiety_from_stress",
    "mood.depression_from_stress", "mood.depression_from_inflammation", "mood.anxiety_from_inflammation",
    "mood.inflammation_threshold_pg_ml", "mood.anxiety_from_vagal", "mood.depression_from_vagal",
    "mood.stress_from_vagal", "mood.management_relief", "mood.expectancy_relief", "mood.contact_relief",
    "mood.tau_expectancy_days", "mood.tau_contact_days",
)
(P_NSUB, P_DELTA, P_STOOL, P_FLOOR, P_KMF, P_KMP, P_KMS, P_FREF, P_SREF, P_XCOMP, P_CONGRES, P_XFEED,
 P_ISD, P_HALF,
 P_TAU_B, P_TAU_BAR, P_TAU_IL6, P_TAU_CRP, P_TAU_SERO, P_TAU_GABA, P_TAU_CORT, P_BAR_REF,
 P_BAR_BUT, P_BAR_CORT, P_BAR_INFL, P_IL6_REF, P_IL6_LPS, P_IL6_CORT, P_IL6_BUT, P_IL6_FERM, P_CRP_EXP,
 P_KT_EXP, P_TRP_EXP, P_SERO_SF, P_SERO_B, P_VAG_G, P_VAG_5, P_VAG_B, P_VAG_S, P_CORT_REF,
 P_CORT_STRESS, P_CORT_INFL, P_CORT_VAG, P_SM_REACT, P_SM_VAG,
 P_TH_P, P_TH_A, P_TH_D, P_SD_P, P_SD_A, P_SD_D, P_P_LOAD, P_P_CORT, P_A_CORT, P_D_CORT, P_A_P, P_D_P,
 P_D_INFL, P_A_INFL, P_INFL_THR, P_A_VAG, P_D_VAG, P_P_VAG, P_MANAGE, P_EXPECT, P_CONTACT,
 P_TAU_EXP, P_TAU_CON) = range(len(PARAM_NAMES))

#: host state columns
HOST_NAMES = ("butyrate", "barrier", "il6_pg_ml", "crp_mg_l", "kyn_trp", "serotonin", "gaba", "vagal",
              "cortisol_nmol_l", "lps", "expectancy", "contact")
H_BUT, H_BAR, H_IL6, H_CRP, H_KT, H_SERO, H_GABA, H_VAG, H_CORT, H_LPS, H_EXP, H_CON = range(12)
N_HOST = len(HOST_NAMES)

#: latent psychological states
MOOD_NAMES = ("stress", "anxiety", "depression")
N_MOOD = 3

#: per-participant traits used by the kernel
TRAIT_NAMES = ("vagal_tone", "inflammatory_susceptibility", "stress_reactivity", "expectancy",
               "stress_setpoint", "anxiety_setpoint", "depression_setpoint", "il6_baseline_pg_ml",
               "crp_baseline_mg_l", "cortisol_baseline_nmol_l", "kyn_trp_baseline")
(T_TONE, T_SUSC, T_REACT, T_EXPECT, T_PSET, T_ASET, T_DSET, T_IL6, T_CRP, T_CORT, T_KT) = range(11)
N_TRAITS = len(TRAIT_NAMES)

#: daily drivers (diet, stress, study contact)
DRIVER_NAMES = ("fibre_g", "inulin_g", "fos_g", "gos_g", "sugar_g", "fermented_servings",
                "stressor_load", "stress_management", "blinded_product", "visit")
D_FIBRE, D_INULIN, D_FOS, D_GOS, D_SUGAR, D_FERM, D_LOAD, D_MANAGE, D_PRODUCT, D_VISIT = range(10)
N_DRIVERS = len(DRIVER_NAMES)

#: per-taxon parameter columns
TAXON_PARAM_NAMES = ("rho", "delta", "sigma", "kref", "niche", "r_fibre", "r_inulin", "r_fos", "r_gos",
                     "r_sugar", "cortisol", "inflammation", "butyrate", "lps", "gaba", "serotonin",
                     "anti_inflammatory", "barrier", "vagal", "resident")
(TP_RHO, TP_DELTA, TP_SIGMA, TP_KREF, TP_NICHE, TP_FIBRE, TP_INULIN, TP_FOS, TP_GOS, TP_SUGAR, TP_CORT,
 TP_INFL, TP_BUT, TP_LPS, TP_GABA, TP_SERO, TP_ANTI, TP_BARRIER, TP_VAGAL, TP_RESIDENT) = range(20)
N_TAXON_PARAMS = len(TAXON_PARAM_NAMES)

#: normalisers computed once per model: sums over residents at reference load
NORM_NAMES = ("butyrate", "lps", "serotonin", "gaba", "fibre_ref_sat", "sugar_ref_sat",
              "inulin_consumers", "fos_consumers", "gos_consumers", "community_ref_cells")
N_NORMS = len(NORM_NAMES)

#: participant status codes
STATUS_OK, STATUS_NONFINITE, STATUS_EXTINCT, STATUS_IMPLAUSIBLE = 0, 1, 2, 3

#: abundance above which a state is physically impossible (total faecal
#: bacteria are ~1e11 cells/g; Sender 2016) and the run is stopped loudly
MAX_CELLS_PER_G = 1e14

#: draw sites inside the kernel (the counter's third word)
SITE_MICROBIOME, SITE_MOOD = 0, 1


@njit(cache=True, inline="always")
def _logit(p):
    return math.log(p / (1.0 - p))


# --------------------------------------------------------------------------
# SIMD lanes. _VecF / _VecI / _VecM are _VW float64 / int64 / bool lanes held
# in one LLVM vector value (<_VW x double> etc.; on AVX-512 two zmm registers),
# with the arithmetic, comparison and bit operators overloaded lane-wise. They
# never reach Python: kernels _vload them from and _vstore them to float64
# scratch arrays. Plain IEEE operations only (no fastmath, no FMA contraction),
# so a lane computes bit for bit what the same float64 code computes alone.
# --------------------------------------------------------------------------
#: lanes per vector and participants per block (16 was fastest here: 8 leaves
#: latency-bound chains unhidden, 32 spills registers)
_VW = 16

_LF = ir.VectorType(ir.DoubleType(), _VW)
_LI = ir.VectorType(ir.IntType(64), _VW)
_LM = ir.VectorType(ir.IntType(1), _VW)
_I32 = ir.IntType(32)


class _VecF(types.Type):
    """_VW float64 lanes."""
    def __init__(self):
        super().__init__(name=f"vf64x{_VW}")


class _VecI(types.Type):
    """_VW int64 lanes."""
    def __init__(self):
        super().__init__(name=f"vi64x{_VW}")


class _VecM(types.Type):
    """_VW boolean lanes."""
    def __init__(self):
        super().__init__(name=f"vmask{_VW}")


_vf = _VecF()
_vi = _VecI()
_vm = _VecM()


@register_model(_VecF)
class _VecFModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, _LF)


@register_model(_VecI)
class _VecIModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, _LI)


@register_model(_VecM)
class _VecMModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, _LM)


def _splat_ir(builder, x, lty):
    """IR: a vector of type lty with x in every lane."""
    v = builder.insert_element(ir.Constant(lty, None), x, ir.Constant(_I32, 0))
    return builder.shuffle_vector(v, ir.Constant(lty, None), ir.Constant(ir.VectorType(_I32, _VW), [0] * _VW))


def _elem_ptr(context, builder, aryty, ary, idx):
    """IR: pointer to element idx of a contiguous array, or of a raw pointer (no
    wraparound, no bounds check)."""
    if isinstance(aryty, types.CPointer):
        return builder.gep(ary, [idx], inbounds=True)
    a = context.make_array(aryty)(context, builder, ary)
    return builder.gep(a.data, [idx], inbounds=True)


def _is_f64_buffer(arr):
    return isinstance(arr, (types.Array, types.CPointer)) and arr.dtype == types.float64


@intrinsic
def _dataptr(typingctx, arr):
    """Raw pointer to a contiguous float64 array's data. Helpers that take it instead of
    the array carry no reference count: an array argument of an inlined helper costs an
    atomic incref/decref pair per call, which two threads sharing the scratch's parent
    allocation turn into cache-line ping-pong (measured: 2 threads at 1.2-1.7x instead of 2x).
    The array must outlive every use of the pointer."""
    if not (isinstance(arr, types.Array) and arr.dtype == types.float64 and arr.layout == "C"):
        return None
    sig = types.CPointer(types.float64)(arr)

    def codegen(context, builder, signature, args):
        return context.make_array(signature.args[0])(context, builder, args[0]).data
    return sig, codegen


@intrinsic
def _vload(typingctx, arr, idx):
    """Lanes arr[idx : idx + _VW] of a contiguous float64 array or float64 pointer (no bounds check)."""
    if not _is_f64_buffer(arr):
        return None
    sig = _vf(arr, types.intp)

    def codegen(context, builder, signature, args):
        ptr = _elem_ptr(context, builder, signature.args[0], args[0], args[1])
        return builder.load(builder.bitcast(ptr, _LF.as_pointer()), align=8)
    return sig, codegen


@intrinsic
def _vstore(typingctx, arr, idx, v):
    """arr[idx : idx + _VW] = v (contiguous float64 array or float64 pointer, no bounds check)."""
    if not (_is_f64_buffer(arr) and isinstance(v, _VecF)):
        return None
    sig = types.void(arr, types.intp, _vf)

    def codegen(context, builder, signature, args):
        ptr = _elem_ptr(context, builder, signature.args[0], args[0], args[1])
        builder.store(args[2], builder.bitcast(ptr, _LF.as_pointer()), align=8)
        return context.get_dummy_value()
    return sig, codegen


@intrinsic
def _vload_u32(typingctx, arr, idx):
    """Lanes arr[idx : idx + _VW] of a contiguous uint32 array, zero-extended to int64."""
    if not (isinstance(arr, types.Array) and arr.dtype == types.uint32):
        return None
    sig = _vi(arr, types.intp)

    def codegen(context, builder, signature, args):
        ptr = _elem_ptr(context, builder, signature.args[0], args[0], args[1])
        v = builder.load(builder.bitcast(ptr, ir.VectorType(_I32, _VW).as_pointer()), align=4)
        return builder.zext(v, _LI)
    return sig, codegen


@intrinsic
def _vsplat(typingctx, x):
    """All lanes = x (a float)."""
    if not isinstance(x, (types.Float, types.Integer)):
        return None
    sig = _vf(x)

    def codegen(context, builder, signature, args):
        return _splat_ir(builder, context.cast(builder, args[0], signature.args[0], types.float64), _LF)
    return sig, codegen


@intrinsic
def _vsplati(typingctx, x):
    """All lanes = x (an integer)."""
    if not isinstance(x, types.Integer):
        return None
    sig = _vi(x)

    def codegen(context, builder, signature, args):
        return _splat_ir(builder, context.cast(builder, args[0], signature.args[0], types.int64), _LI)
    return sig, codegen


def _make_binop(ty, op):
    """Intrinsic: lane-wise binary IRBuilder operation op on two ty vectors."""
    @intrinsic
    def f(typingctx, a, b):
        if a != ty or b != ty:
            return None
        sig = ty(ty, ty)

        def codegen(context, builder, signature, args):
            return getattr(builder, op)(args[0], args[1])
        return sig, codegen
    return f


def _make_cmp(ty, kind, op):
    """Intrinsic: lane-wise comparison -> _VecM. kind "fo": ordered float (false on NaN,
    as Python's <, >, ==), "fu": unordered float (true on NaN, as Python's !=), "i": int."""
    @intrinsic
    def f(typingctx, a, b):
        if a != ty or b != ty:
            return None
        sig = _vm(ty, ty)

        def codegen(context, builder, signature, args):
            if kind == "fo":
                return builder.fcmp_ordered(op, args[0], args[1])
            if kind == "fu":
                return builder.fcmp_unordered(op, args[0], args[1])
            return builder.icmp_signed(op, args[0], args[1])
        return sig, codegen
    return f


_vf_add, _vf_sub, _vf_mul, _vf_div = (_make_binop(_vf, o) for o in ("fadd", "fsub", "fmul", "fdiv"))
_vi_add, _vi_sub, _vi_mul, _vi_and, _vi_or, _vi_xor, _vi_shl, _vi_ashr = (
    _make_binop(_vi, o) for o in ("add", "sub", "mul", "and_", "or_", "xor", "shl", "ashr"))
_vm_and, _vm_or = (_make_binop(_vm, o) for o in ("and_", "or_"))
_vf_lt, _vf_gt, _vf_le, _vf_ge, _vf_eq = (_make_cmp(_vf, "fo", o) for o in ("<", ">", "<=", ">=", "=="))
_vf_ne = _make_cmp(_vf, "fu", "!=")
_vi_lt, _vi_gt, _vi_le, _vi_ge, _vi_eq, _vi_ne = (_make_cmp(_vi, "i", o) for o in ("<", ">", "<=", ">=", "==", "!="))


def _vec_overload(op, impl_f, impl_i=None):
    """Overload operator op for vector (op) vector and vector (op) scalar, either side:
    impl_f for _VecF with float/int scalars, impl_i for _VecI with int scalars."""
    @overload(op)
    def ov(a, b):
        fa, fb = isinstance(a, _VecF), isinstance(b, _VecF)
        ia, ib = isinstance(a, _VecI), isinstance(b, _VecI)
        num = (types.Float, types.Integer)
        if impl_f is not None:
            if fa and fb:
                return lambda a, b: impl_f(a, b)
            if fa and isinstance(b, num):
                return lambda a, b: impl_f(a, _vsplat(b))
            if fb and isinstance(a, num):
                return lambda a, b: impl_f(_vsplat(a), b)
        if impl_i is not None:
            if ia and ib:
                return lambda a, b: impl_i(a, b)
            if ia and isinstance(b, types.Integer):
                return lambda a, b: impl_i(a, _vsplati(b))
            if ib and isinstance(a, types.Integer):
                return lambda a, b: impl_i(_vsplati(a), b)
    return ov


for _op, _f, _i in ((operator.add, _vf_add, _vi_add), (operator.sub, _vf_sub, _vi_sub),
                    (operator.mul, _vf_mul, _vi_mul), (operator.truediv, _vf_div, None),
                    (operator.iadd, _vf_add, _vi_add), (operator.isub, _vf_sub, _vi_sub),
                    (operator.imul, _vf_mul, _vi_mul),
                    (operator.lt, _vf_lt, _vi_lt), (operator.gt, _vf_gt, _vi_gt), (operator.le, _vf_le, _vi_le),
                    (operator.ge, _vf_ge, _vi_ge), (operator.eq, _vf_eq, _vi_eq), (operator.ne, _vf_ne, _vi_ne),
                    (operator.and_, None, _vi_and), (operator.or_, None, _vi_or), (operator.xor, None, _vi_xor),
                    (operator.lshift, None, _vi_shl), (operator.rshift, None, _vi_ashr)):
    _vec_overload(_op, _f, _i)


@overload(operator.and_)
def _ov_mand(a, b):
    if isinstance(a, _VecM) and isinstance(b, _VecM):
        return lambda a, b: _vm_and(a, b)


@overload(operator.or_)
def _ov_mor(a, b):
    if isinstance(a, _VecM) and isinstance(b, _VecM):
        return lambda a, b: _vm_or(a, b)


@intrinsic
def _vf_neg(typingctx, a):
    """Lane-wise -a."""
    if a != _vf:
        return None
    sig = _vf(_vf)

    def codegen(context, builder, signature, args):
        return builder.fneg(args[0])
    return sig, codegen


@overload(operator.neg)
def _ov_neg(a):
    if isinstance(a, _VecF):
        return lambda a: _vf_neg(a)


@intrinsic
def _vlshr(typingctx, a, k):
    """Logical right shift of int64 lanes by a constant."""
    if a != _vi or not isinstance(k, types.Integer):
        return None
    sig = _vi(_vi, k)

    def codegen(context, builder, signature, args):
        kk = context.cast(builder, args[1], signature.args[1], types.int64)
        return builder.lshr(args[0], _splat_ir(builder, kk, _LI))
    return sig, codegen


def _make_llvm_unary(name):
    """Intrinsic: LLVM's lane-wise math intrinsic name (exact operations only: sqrt, fabs)."""
    @intrinsic
    def f(typingctx, a):
        if a != _vf:
            return None
        sig = _vf(_vf)

        def codegen(context, builder, signature, args):
            fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(_LF, [_LF]), f"{name}.v{_VW}f64")
            return builder.call(fn, [args[0]])
        return sig, codegen
    return f


_vf_sqrt = _make_llvm_unary("llvm.sqrt")
_vf_fabs = _make_llvm_unary("llvm.fabs")


@overload(math.sqrt)
def _ov_sqrt(a):
    if isinstance(a, _VecF):
        return lambda a: _vf_sqrt(a)


@overload(abs)
def _ov_abs(a):
    if isinstance(a, _VecF):
        return lambda a: _vf_fabs(a)


@intrinsic
def _vselect(typingctx, m, a, b):
    """Lane-wise m ? a : b."""
    if m != _vm or a != b or a not in (_vf, _vi):
        return None
    sig = a(_vm, a, a)

    def codegen(context, builder, signature, args):
        return builder.select(args[0], args[1], args[2])
    return sig, codegen


def _make_cast(src, dst, op, lty):
    """Intrinsic: one LLVM cast instruction op (bitcast, fptosi, sitofp) from a src value
    to a dst value of LLVM type lty."""
    @intrinsic
    def f(typingctx, a):
        if a != src:
            return None
        sig = dst(src)

        def codegen(context, builder, signature, args):
            return getattr(builder, op)(args[0], lty)
        return sig, codegen
    return f


#: float64 lanes -> their bit patterns as int64 lanes, and back
_vbits = _make_cast(_vf, _vi, "bitcast", _LI)
_vfrombits = _make_cast(_vi, _vf, "bitcast", _LF)
#: truncating float64 -> int64 lanes (lanes must be in range); int64 -> float64 (exact below 2**53)
_vtoint = _make_cast(_vf, _vi, "fptosi", _LI)
_vtofloat = _make_cast(_vi, _vf, "sitofp", _LF)
#: the bits of a float64 scalar as an int64, and back
_f2i = _make_cast(types.float64, types.int64, "bitcast", ir.IntType(64))
_i2f = _make_cast(types.int64, types.float64, "bitcast", ir.DoubleType())


# Generic helpers, so that one source serves float64 scalars and lane vectors alike:
# the elementary functions below compile to the same operations for both.
def _sel(c, a, b):
    """a where c else b (scalar ternary, or lane-wise select)."""


@overload(_sel)
def _ov_sel(c, a, b):
    if isinstance(c, types.Boolean):
        return lambda c, a, b: a if c else b
    if isinstance(c, _VecM):
        if isinstance(a, _VecF) and isinstance(b, _VecF):
            return lambda c, a, b: _vselect(c, a, b)
        if isinstance(a, _VecF) and isinstance(b, (types.Float, types.Integer)):
            return lambda c, a, b: _vselect(c, a, _vsplat(b))
        if isinstance(b, _VecF) and isinstance(a, (types.Float, types.Integer)):
            return lambda c, a, b: _vselect(c, _vsplat(a), b)
        if isinstance(a, _VecI) and isinstance(b, _VecI):
            return lambda c, a, b: _vselect(c, a, b)
        if isinstance(a, _VecI) and isinstance(b, types.Integer):
            return lambda c, a, b: _vselect(c, a, _vsplati(b))
        if isinstance(b, _VecI) and isinstance(a, types.Integer):
            return lambda c, a, b: _vselect(c, _vsplati(a), b)
        if isinstance(a, types.Integer) and isinstance(b, types.Integer):
            return lambda c, a, b: _vselect(c, _vsplati(a), _vsplati(b))
        if isinstance(a, (types.Float, types.Integer)) and isinstance(b, (types.Float, types.Integer)):
            return lambda c, a, b: _vselect(c, _vsplat(a), _vsplat(b))


def _bits(x):
    """float64 -> int64 bit pattern."""


@overload(_bits)
def _ov_bits(x):
    if isinstance(x, types.Float):
        return lambda x: _f2i(x)
    if isinstance(x, _VecF):
        return lambda x: _vbits(x)


def _frombits(k):
    """int64 bit pattern -> float64."""


@overload(_frombits)
def _ov_frombits(k):
    if isinstance(k, types.Integer):
        return lambda k: _i2f(np.int64(k))
    if isinstance(k, _VecI):
        return lambda k: _vfrombits(k)


def _toint(x):
    """float64 (integer-valued, in range) -> int64."""


@overload(_toint)
def _ov_toint(x):
    if isinstance(x, types.Float):
        return lambda x: np.int64(x)
    if isinstance(x, _VecF):
        return lambda x: _vtoint(x)


def _tofloat(k):
    """int64 -> float64."""


@overload(_tofloat)
def _ov_tofloat(k):
    if isinstance(k, types.Integer):
        return lambda k: float(k)
    if isinstance(k, _VecI):
        return lambda k: _vtofloat(k)


# --------------------------------------------------------------------------
# Vectorisable elementary functions, generic over float64 scalars and _VecF
# lanes (bit-identical results for both). Built only from +, -, *, /, selects
# and exponent-bit manipulation. Against NumPy/libm: exp, log, sin, cos
# <= 1 ulp; expm1, tanh <= 2-3 ulp; including 0, -0, +-inf, NaN (propagated),
# subnormals, underflow and overflow (tests/test_kernel.py). That keeps the
# kernel within 1e-12 of the NumPy reference, which uses NumPy's own functions.
# --------------------------------------------------------------------------
_LOG2E = 1.4426950408889634
_LN2HI = 6.93147180369123816490e-01  # 0x3FE62E42FEE00000: k * _LN2HI is exact for |k| < 2**20
_LN2LO = 1.90821492927058770002e-10  # ln 2 - _LN2HI
_LN2 = math.log(2.0)
_SHIFT = 6755399441055744.0  # 1.5 * 2**52: (x + _SHIFT) - _SHIFT rounds x to an integer
# Taylor coefficients 1/k! of exp(r) - 1 - r on |r| <= ln(2)/2 (truncation < 2e-17 relative)
_E2, _E3, _E4, _E5, _E6, _E7 = 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040
_E8, _E9, _E10, _E11, _E12, _E13 = 1 / 40320, 1 / 362880, 1 / 3628800, 1 / 39916800, 1 / 479001600, 1 / 6227020800


@njit(cache=True, error_model="numpy")
def _clamp800(x):
    """x clamped to [-800, 800], NaN -> 0 (so that the int conversion below stays defined)."""
    xc = _sel(x == x, x, 0.0)
    xc = _sel(xc < -800.0, -800.0, xc)
    return _sel(xc > 800.0, 800.0, xc)


@njit(cache=True, error_model="numpy")
def _expm1_reduced(x):
    """Cody-Waite reduction x = kd ln 2 + r, |r| <= ln(2)/2; returns (kd, expm1(r))."""
    kd = (x * _LOG2E + _SHIFT) - _SHIFT
    r = (x - kd * _LN2HI) - kd * _LN2LO
    # Estrin's scheme (short dependency chains) for r + r^2 (E2 + E3 r + ... + E13 r^11)
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    q = ((_E2 + _E3 * r) + (_E4 + _E5 * r) * r2) + ((_E6 + _E7 * r) + (_E8 + _E9 * r) * r2) * r4
    q = q + ((_E10 + _E11 * r) + (_E12 + _E13 * r) * r2) * r8
    em = r + r2 * q
    return kd, em


@njit(cache=True, error_model="numpy")
def _scale2(p, kd):
    """p * 2**kd for integer-valued |kd| <= 1200, as two exact power-of-two factors built
    from exponent bits (so over- and underflow round as one multiplication would)."""
    k = _toint(kd)
    k1 = k >> 1
    return p * _frombits((k1 + 1023) << 52) * _frombits((k - k1 + 1023) << 52)


@njit(cache=True, error_model="numpy")
def _exp(x):
    """exp(x), <= 1 ulp."""
    kd, em = _expm1_reduced(_clamp800(x))
    res = _scale2(1.0 + em, kd)
    return _sel(x == x, res, x)


@njit(cache=True, error_model="numpy")
def _expm1(x):
    """expm1(x) = 2**k expm1(r) + (2**k - 1), <= 2 ulp (exact expm1(r) when k = 0)."""
    kd, em = _expm1_reduced(_clamp800(x))
    k = _toint(kd)
    big = (k > 1000) | (k < -1000)
    kc = _sel(big, 0, k)
    t = _frombits((kc + 1023) << 52)
    res = t * em + (t - 1.0)
    res = _sel(big, _scale2(1.0 + em, kd) - 1.0, res)
    return _sel(x == x, res, x)


@njit(cache=True, error_model="numpy")
def _tanh(x):
    """tanh(x) = expm1(2x) / (expm1(2x) + 2), <= 3 ulp (tanh(+-20) rounds to +-1)."""
    u = _sel(x > 20.0, 20.0, x)
    u = _sel(u < -20.0, -20.0, u)
    em = _expm1(2.0 * u)
    return em / (em + 2.0)


@njit(cache=True, error_model="numpy")
def _exp_tanh(x):
    """exp(tanh(x)), bit for bit _exp(_tanh(x)) but without the over/underflow paths,
    which |2 clamp(x)| <= 40 and |tanh| <= 1 never take."""
    v = 2.0 * _sel(_sel(x > 20.0, 20.0, x) < -20.0, -20.0, _sel(x > 20.0, 20.0, x))
    kd, em = _expm1_reduced(_sel(v == v, v, 0.0))
    t = _frombits((_toint(kd) + 1023) << 52)
    em = t * em + (t - 1.0)
    th = _sel(v == v, em, v)
    th = th / (th + 2.0)
    kd, em = _expm1_reduced(_sel(th == th, th, 0.0))
    res = (1.0 + em) * _frombits((_toint(kd) + 1023) << 52)
    return _sel(th == th, res, th)


# log: fdlibm's e_log.c (Sun Microsystems) coefficients, written branch-free
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01


@njit(cache=True, error_model="numpy")
def _log(x):
    """log(x), <= 1 ulp: fdlibm's algorithm (x = 2**k (1 + f), sqrt(2)/2 <= 1 + f < sqrt(2))."""
    sub = x < 2.2250738585072014e-308
    xs = _sel(sub, x * 18014398509481984.0, x)
    ix = _bits(xs)
    hx = ix >> 32
    k = (hx >> 20) - _sel(sub, 1077, 1023)
    hm = hx & 0x000FFFFF
    i = (hm + 0x95F64) & 0x100000
    k = k + (i >> 20)
    f = _frombits(((hm | (i ^ 0x3FF00000)) << 32) | (ix & 0xFFFFFFFF)) - 1.0
    s = f / (2.0 + f)
    dk = _tofloat(k)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    R = t2 + t1
    hfsq = 0.5 * f * f
    res = dk * _LN2HI - ((hfsq - (s * (hfsq + R) + dk * _LN2LO)) - f)
    res = _sel(x < np.inf, res, x)
    res = _sel(x == 0.0, -np.inf, res)
    res = _sel(x < 0.0, np.nan, res)
    return _sel(x == x, res, x)


# sin/cos: fdlibm's k_sin.c / k_cos.c kernels after a 3-part Cody-Waite reduction by pi/2
_INVPIO2 = 6.36619772367581382433e-01
_PIO2_1 = 1.57079632673412561417e+00  # first 33 bits of pi/2
_PIO2_2 = 6.07710050630396597660e-11  # next 33 bits
_PIO2_3 = 2.02226624871116645580e-21  # next 33 bits
_S1 = -1.66666666666666324348e-01
_S2 = 8.33333333332248946124e-03
_S3 = -1.98412698298579493134e-04
_S4 = 2.75573137070700676789e-06
_S5 = -2.50507602534068634195e-08
_S6 = 1.58969099521155010221e-10
_C1 = 4.16666666666666019037e-02
_C2 = -1.38888888888741095749e-03
_C3 = 2.48015872894767294178e-05
_C4 = -2.75573143513906633035e-07
_C5 = 2.08757232129817482790e-09
_C6 = -1.13596475577881948265e-11


@njit(cache=True, error_model="numpy")
def _sincos(t):
    """(sin t, cos t) for 0 <= t <= 2**19 pi, <= 1 ulp (the reduction is exact there)."""
    qd = (t * _INVPIO2 + _SHIFT) - _SHIFT
    y = ((t - qd * _PIO2_1) - qd * _PIO2_2) - qd * _PIO2_3
    z = y * y
    s = y + z * y * (_S1 + z * (_S2 + z * (_S3 + z * (_S4 + z * (_S5 + z * _S6)))))
    rc = z * (_C1 + z * (_C2 + z * (_C3 + z * (_C4 + z * (_C5 + z * _C6)))))
    hz = 0.5 * z
    w = 1.0 - hz
    c = w + (((1.0 - w) - hz) + z * rc)
    q = _toint(qd)
    odd = (q & 1) != 0
    sn = _sel(odd, c, s) * _tofloat(1 - (q & 2))
    cs = _sel(odd, s, c) * _tofloat(1 - ((q + 1) & 2))
    return sn, cs


# --------------------------------------------------------------------------
# Philox and Box-Muller on lanes
# --------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _philox_vec(c0, c1, c2, c3, k0, k1):
    """philox4x32_10 on int64 lanes that hold 32-bit words (the same ten rounds)."""
    for _ in range(10):
        p0 = c0 * 0xD2511F53
        p1 = c2 * 0xCD9E8D57
        hi0 = _vlshr(p0, 32)
        lo0 = p0 & 0xFFFFFFFF
        hi1 = _vlshr(p1, 32)
        lo1 = p1 & 0xFFFFFFFF
        c0 = (hi1 ^ c1 ^ k0) & 0xFFFFFFFF
        c1 = lo1
        c2 = (hi0 ^ c3 ^ k1) & 0xFFFFFFFF
        c3 = lo0
        k0 = (k0 + 0x9E3779B9) & 0xFFFFFFFF
        k1 = (k1 + 0xBB67AE85) & 0xFFFFFFFF
    return c0, c1, c2, c3


@njit(cache=True, error_model="numpy")
def _u01_vec(w):
    """As _u01, on int64 lanes holding 32-bit words."""
    return (_tofloat(w) + 0.5) * _INV_2_32


@intrinsic
def _fetch_add(typingctx, counters, k):
    """Atomically counters[k] += 1; returns the old value."""
    if not (isinstance(counters, types.Array) and counters.dtype == types.int64 and isinstance(k, types.Integer)):
        return None
    sig = types.int64(counters, types.intp)

    def codegen(context, builder, signature, args):
        ptr = _elem_ptr(context, builder, signature.args[0], args[0], args[1])
        return builder.atomic_rmw("add", ptr, ir.Constant(ir.IntType(64), 1), "monotonic")
    return sig, codegen


#: gap between two threads' scratch rows, in float64: 66 KiB (the kernel's rows end up
#: 98 KiB apart at 20 taxa). On the 2-vCPU EPYC machine this was tuned on, rows 30-32 KiB
#: apart (adjacent rows) let the second thread cost the first 18-42% of its speed;
#: 48-256 KiB apart, 1-7% (`python benchmarks/bench_scratch_gap.py`).
_SCRATCH_GAP = 8448


@njit(cache=True, inline="always")
def _thread_scratch(nt, width):
    """Uninitialised per-thread scratch: nt rows of at least width float64; the row
    stride is width rounded up to whole 4 KiB pages plus _SCRATCH_GAP."""
    return np.empty((nt, (width + 511) // 512 * 512 + _SCRATCH_GAP))


@njit(cache=True, inline="always")
def _modulated_taxa(TP):
    """(modidx, nmod): the taxa with a cortisol or inflammation response, modidx[:nmod]."""
    S = TP.shape[0]
    modidx = np.empty(S, np.int64)
    nmod = np.int64(0)
    for i in range(S):
        if TP[i, TP_CORT] != 0.0 or TP[i, TP_INFL] != 0.0:
            modidx[nmod] = i
            nmod += 1
    return modidx, nmod


@njit(cache=True, inline="always")
def _block_ranges(nb, nt):
    """Per-thread block counters for _take_block: thread u owns blocks [u nb / nt, (u+1) nb / nt);
    its counter (one per 64-byte line) starts at the first."""
    counters = np.empty(8 * nt, np.int64)
    for u in range(nt):
        counters[8 * u] = u * nb // nt
    return counters


@njit(cache=True, inline="always")
def _take_block(counters, t, nt, nb):
    """Next block for thread t: from its own contiguous range first, then (when that is
    done) from the others' ranges, so a core slowed by a busy neighbour hands its tail to
    the others. Each block is taken exactly once; -1 when none is left."""
    for k in range(nt):
        u = (t + k) % nt
        blk = _fetch_add(counters, 8 * u)
        if blk < (u + 1) * nb // nt:
            return blk
    return -1


# --------------------------------------------------------------------------
# Blocked day step. The kernels advance _VW participants ("lanes") at once: a
# block's per-taxon state is copied into a per-thread scratch with the lane as
# the fastest axis, per-participant scalars become lane vectors, and every
# operation acts on all lanes with one SIMD instruction (the vector types
# above). Lanes never interact: each runs exactly the IEEE operations it would
# run alone, in the same order (no fastmath, no reassociation, sums over taxa
# in a fixed order), so a participant's result does not depend on its block,
# lane, thread or neighbours.
# --------------------------------------------------------------------------
#: staging rows for per-participant scalars (gathered in, scattered out), _VW doubles each
(_G_TONE, _G_REACT, _G_SUSC, _G_TIL6, _G_TCRP, _G_TCORT, _G_TKT, _G_PSET, _G_ASET, _G_DSET, _G_TEXP,
 _G_FIBRE, _G_INU, _G_FOS, _G_GOS, _G_SUGAR, _G_FERM, _G_LOAD, _G_MANAGE, _G_PROD, _G_VISIT,
 _G_CODE, _G_M) = (k * _VW for k in range(23))
_G_H = _G_M + N_MOOD * _VW  # N_HOST rows of host state
_TB = _G_H + N_HOST * _VW  # start of the per-taxon rows
#: per-taxon rows: row X of taxon i starts at _TB + i * _TS + X
(_T_N, _T_CS, _T_CP, _T_BDT, _T_IMD, _T_KILL, _T_XI, _T_SH, _T_W, _T_MOD) = (k * _VW for k in range(10))
_TS = 10 * _VW
#: the floor's per-taxon rows: row X of taxon i starts at i * _FTS + X
(_F_N, _F_CS, _F_CP, _F_BDT, _F_W) = (k * _VW for k in range(5))
_FTS = 5 * _VW


@njit(cache=True, inline="always", error_model="numpy")
def _grow(sc, TP, i, comp, dt, floor, any_kill, phi_f, phi_in, phi_fo, phi_go, phi_s):
    """One substep of taxon i on all lanes, given its competition comp = sum_j ALPHA[i, j] w[j]."""
    oi = _TB + i * _TS
    # niche + r_fibre phi_f + r_inulin phi_in + r_fos phi_fo + r_gos phi_go + r_sugar phi_s,
    # left to right; a zero coefficient adds exactly nothing and is skipped
    m = _vsplat(TP[i, TP_NICHE])
    if TP[i, TP_FIBRE] != 0.0:
        m = m + TP[i, TP_FIBRE] * phi_f
    if TP[i, TP_INULIN] != 0.0:
        m = m + TP[i, TP_INULIN] * phi_in
    if TP[i, TP_FOS] != 0.0:
        m = m + TP[i, TP_FOS] * phi_fo
    if TP[i, TP_GOS] != 0.0:
        m = m + TP[i, TP_GOS] * phi_go
    if TP[i, TP_SUGAR] != 0.0:
        m = m + TP[i, TP_SUGAR] * phi_s
    m = _sel(m < 0.0, 0.0, m)
    if TP[i, TP_CORT] != 0.0 or TP[i, TP_INFL] != 0.0:
        m = m * _vload(sc, oi + _T_MOD)  # host modulation exp(tanh(.)), computed beforehand
    # Exact logistic step: growth a (everything but self-limitation, held over the
    # substep) and self-limitation b*x solved in closed form,
    # x' = x e^A / (1 + b dt x (e^A - 1)/A), so a fast grower can never overshoot its
    # own capacity however long the substep.
    sig = TP[i, TP_SIGMA]
    a = TP[i, TP_RHO] * (m - _vload(sc, oi + _T_CS) * comp) - TP[i, TP_DELTA]
    if any_kill:  # (x - 0.0 is x exactly)
        a = a - _vload(sc, oi + _T_KILL)
    a = a - 0.5 * sig * sig
    A = a * dt + _vload(sc, oi + _T_SH)  # + sigma sqrt-dt-scaled daily noise
    E1 = _expm1(A)
    phi = _sel(A != 0.0, E1 / A, 1.0)
    x0 = _vload(sc, oi + _T_N)
    x = x0 * (1.0 + E1) / (1.0 + _vload(sc, oi + _T_BDT) * x0 * phi) + _vload(sc, oi + _T_IMD)
    _vstore(sc, oi + _T_N, _sel(x < floor, 0.0, x))


@njit(cache=True, error_model="numpy")
def _step_blocks(N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM, KEYS, PIDS, day,
                 status, fail_day, WORK, act, na, modidx, nmod, counters, t, nt, sc, isc):
    """Advance the active participants act[:na] one day, _VW lanes at a time: thread t of
    nt takes blocks of _VW with _take_block until none is left.

    modidx[:nmod] are the taxa with a cortisol or inflammation response; sc (float64)
    and isc (uint32, 3 * _VW) are this thread's scratch (allocated by the caller). A
    block's result does not depend on which thread takes it, so this dynamic
    schedule keeps results bit-identical while a slow or busy core takes fewer blocks."""
    S = N.shape[1]
    scp = _dataptr(sc)  # for the inlined _grow: no refcount traffic on the shared scratch
    nsub = int(PRM[P_NSUB])
    dt = 1.0 / nsub
    # relaxation factors over one substep (shared by everyone)
    eB = math.exp(-dt / PRM[P_TAU_B])
    eBar = math.exp(-dt / PRM[P_TAU_BAR])
    eI = math.exp(-dt / PRM[P_TAU_IL6])
    eC = math.exp(-dt / PRM[P_TAU_CRP])
    e5 = math.exp(-dt / PRM[P_TAU_SERO])
    eG = math.exp(-dt / PRM[P_TAU_GABA])
    eK = math.exp(-dt / PRM[P_TAU_CORT])
    eE = math.exp(-1.0 / PRM[P_TAU_EXP])
    eT = math.exp(-1.0 / PRM[P_TAU_CON])
    floor = PRM[P_FLOOR]
    half = PRM[P_HALF]
    il6_ref = PRM[P_IL6_REF]
    cort_ref = PRM[P_CORT_REF]
    ln_il6_ref = math.log(il6_ref)
    ln_cort_ref = math.log(cort_ref)
    logit_bref = _logit(PRM[P_BAR_REF])
    one_m_bref = 1.0 - PRM[P_BAR_REF]
    vag_wsum = PRM[P_VAG_G] + PRM[P_VAG_5] + PRM[P_VAG_B]
    sero_wsum = PRM[P_SERO_SF] + PRM[P_SERO_B]
    thr = PRM[P_INFL_THR]
    infl_ref = math.log(1.0 + il6_ref / thr)
    sqdt_scale = dt  # daily-held noise: sum over the day's substeps has variance sigma^2 * 1 day
    inv_comm = 1.0 / NORMS[9]
    kmf = PRM[P_KMF]
    kmp = PRM[P_KMP]
    kms = PRM[P_KMS]
    il6_lps = PRM[P_IL6_LPS]
    il6_cort = PRM[P_IL6_CORT]
    il6_but = PRM[P_IL6_BUT]
    crp_exp = PRM[P_CRP_EXP]
    kt_exp = PRM[P_KT_EXP]
    trp_exp = PRM[P_TRP_EXP]
    vday = _vsplati(np.int64(day) & 0xFFFFFFFF)
    nblk_noise = (S + 3) // 4
    zero = _vsplat(0.0)

    has_kill = KILL.shape[0] != 0  # (0, S): nobody has antibiotic kill today
    keep_work = WORK.shape[0] != 0  # (0, 2S): no diagnostic output
    nb = (na + _VW - 1) // _VW
    while True:
        blk = _take_block(counters, t, nt, nb)
        if blk < 0:
            break
        a0 = blk * _VW
        nl = min(_VW, na - a0)
        # ---- gather: participant rows -> lanes (spare lanes repeat the last participant)
        any_kill = False  # antibiotic kill is zero outside antibiotic courses: then skip it
        if has_kill:
            for l in range(nl):
                p = act[a0 + l]
                for i in range(S):
                    any_kill |= KILL[p, i] != 0.0
        any_pre = False
        for l in range(_VW):
            p = act[a0 + min(l, nl - 1)]
            isc[l] = PIDS[p]
            isc[_VW + l] = KEYS[p, 0]
            isc[2 * _VW + l] = KEYS[p, 1]
            for i in range(S):
                o = _TB + i * _TS + l
                sc[o + _T_N] = N[p, i]
                sc[o + _T_CS] = CSENS[p, i]
                sc[o + _T_CP] = CPRESS[p, i]
                sc[o + _T_BDT] = KAPPA[p, i]  # -> b dt below
                sc[o + _T_IMD] = IMM[p, i]
                if any_kill:
                    sc[o + _T_KILL] = KILL[p, i]
            sc[_G_TONE + l] = T[p, T_TONE]
            sc[_G_REACT + l] = T[p, T_REACT]
            sc[_G_SUSC + l] = T[p, T_SUSC]
            sc[_G_TIL6 + l] = T[p, T_IL6]
            sc[_G_TCRP + l] = T[p, T_CRP]
            sc[_G_TCORT + l] = T[p, T_CORT]
            sc[_G_TKT + l] = T[p, T_KT]
            sc[_G_PSET + l] = T[p, T_PSET]
            sc[_G_ASET + l] = T[p, T_ASET]
            sc[_G_DSET + l] = T[p, T_DSET]
            sc[_G_TEXP + l] = T[p, T_EXPECT]
            sc[_G_FIBRE + l] = DRV[p, D_FIBRE]
            sc[_G_INU + l] = DRV[p, D_INULIN]
            sc[_G_FOS + l] = DRV[p, D_FOS]
            sc[_G_GOS + l] = DRV[p, D_GOS]
            sc[_G_SUGAR + l] = DRV[p, D_SUGAR]
            sc[_G_FERM + l] = DRV[p, D_FERM]
            sc[_G_LOAD + l] = DRV[p, D_LOAD]
            sc[_G_MANAGE + l] = DRV[p, D_MANAGE]
            sc[_G_PROD + l] = DRV[p, D_PRODUCT]
            sc[_G_VISIT + l] = DRV[p, D_VISIT]
            for k in range(N_HOST):
                sc[_G_H + k * _VW + l] = H[p, k]
            for k in range(N_MOOD):
                sc[_G_M + k * _VW + l] = M[p, k]
            any_pre |= (DRV[p, D_INULIN] + DRV[p, D_FOS] + DRV[p, D_GOS]) != 0.0
        pid = _vload_u32(isc, 0)
        key0 = _vload_u32(isc, _VW)
        key1 = _vload_u32(isc, 2 * _VW)

        # ---- daily microbiome noise xi (held over the day's substeps); the same draws as
        # fill_normals, so xi equals rng.normals(KEYS, PIDS, day, SITE_MICROBIOME, S) exactly
        for b in range(nblk_noise):
            r0, r1, r2, r3 = _philox_vec(pid, vday, _vsplati(SITE_MICROBIOME), _vsplati(b), key0, key1)
            z0, z1 = _box_muller_u(_u01_vec(r0), _u01_vec(r1))
            z2, z3 = _box_muller_u(_u01_vec(r2), _u01_vec(r3))
            oj = _TB + 4 * b * _TS + _T_XI
            _vstore(sc, oj, z0)
            if 4 * b + 1 < S:
                _vstore(sc, oj + _TS, z1)
            if 4 * b + 2 < S:
                _vstore(sc, oj + 2 * _TS, z2)
            if 4 * b + 3 < S:
                _vstore(sc, oj + 3 * _TS, z3)

        # ---- per-day constants: self-limitation b dt = rho dt / (kref kappa), immigration
        # per substep, and the noise term sigma sqrt(dt)-scaling times xi of each taxon
        for i in range(S):
            oi = _TB + i * _TS
            _vstore(sc, oi + _T_BDT, TP[i, TP_RHO] * dt / (TP[i, TP_KREF] * _vload(sc, oi + _T_BDT)))
            _vstore(sc, oi + _T_IMD, _vload(sc, oi + _T_IMD) * dt)
            _vstore(sc, oi + _T_SH, TP[i, TP_SIGMA] * sqdt_scale * _vload(sc, oi + _T_XI))
        manage = _vload(sc, _G_MANAGE)
        tone_eff = _vload(sc, _G_TONE) * (1.0 + PRM[P_SM_VAG] * manage)
        react_eff = _vload(sc, _G_REACT) * (1.0 - PRM[P_SM_REACT] * manage)
        load = _vload(sc, _G_LOAD)
        ferm = _vload(sc, _G_FERM)
        fibre = _vload(sc, _G_FIBRE)
        inulin = _vload(sc, _G_INU)
        fos = _vload(sc, _G_FOS)
        gos = _vload(sc, _G_GOS)
        sugar = _vload(sc, _G_SUGAR)
        pre_tot = inulin + fos + gos
        phi_f = fibre / (fibre + kmf) - NORMS[4]
        phi_s = sugar / (sugar + kms) - NORMS[5]
        ferment_sub = (fibre + 0.5 * pre_tot) / (fibre + 0.5 * pre_tot + kmf) / (NORMS[4] + 1e-300)
        susc = _vload(sc, _G_SUSC)
        ln_il6_p = _log(_vload(sc, _G_TIL6))
        ln_crp_p = _log(_vload(sc, _G_TCRP))
        ferm_term = PRM[P_IL6_FERM] * ferm / (ferm + 1.0)
        # ln cortisol target without the substep terms
        cort_base = _log(_vload(sc, _G_TCORT)) + PRM[P_CORT_STRESS] * react_eff * load
        # host state; IL-6, CRP and cortisol are carried as logarithms through the substeps
        Bh = _vload(sc, _G_H + H_BUT * _VW)
        bar = _vload(sc, _G_H + H_BAR * _VW)
        ln_il6 = _log(_vload(sc, _G_H + H_IL6 * _VW))
        ln_crp = _log(_vload(sc, _G_H + H_CRP * _VW))
        ln_cort = _log(_vload(sc, _G_H + H_CORT * _VW))
        S5 = _vload(sc, _G_H + H_SERO * _VW)
        G = _vload(sc, _G_H + H_GABA * _VW)
        V = _vload(sc, _G_H + H_VAG * _VW)
        L = _vload(sc, _G_H + H_LPS * _VW)
        kt_rel = zero
        phi_in = zero
        phi_fo = zero
        phi_go = zero

        for sub in range(nsub):
            c = ln_cort - ln_cort_ref
            iota = ln_il6 - ln_il6_ref
            # -- substrate sharing: prebiotic per unit of its consumers' current load
            if any_pre:
                ld_in = zero
                ld_fo = zero
                ld_go = zero
                for j in range(S):
                    t_in = TP[j, TP_INULIN]
                    t_fo = TP[j, TP_FOS]
                    t_go = TP[j, TP_GOS]
                    # (r / kref) N rather than r (N / kref): no vector division; zero terms add
                    # exactly nothing and are skipped
                    Nj = _vload(sc, _TB + j * _TS + _T_N)
                    if t_in != 0.0:
                        ld_in = ld_in + (t_in / TP[j, TP_KREF]) * Nj
                    if t_fo != 0.0:
                        ld_fo = ld_fo + (t_fo / TP[j, TP_KREF]) * Nj
                    if t_go != 0.0:
                        ld_go = ld_go + (t_go / TP[j, TP_KREF]) * Nj
                x = ld_in * (1.0 / NORMS[6])
                phi_in = inulin / (inulin + kmp * _sel(x > 1e-3, x, 1e-3))
                x = ld_fo * (1.0 / NORMS[7])
                phi_fo = fos / (fos + kmp * _sel(x > 1e-3, x, 1e-3))
                x = ld_go * (1.0 / NORMS[8])
                phi_go = gos / (gos + kmp * _sel(x > 1e-3, x, 1e-3))
            # -- weighted loads w (start of substep)
            for j in range(S):
                oj = _TB + j * _TS
                _vstore(sc, oj + _T_W, _vload(sc, oj + _T_CP) * _vload(sc, oj + _T_N) * inv_comm)
            # -- host modulation of growth, saturating at a factor e^(+-1) so hormone swings
            # cannot drive unbounded growth or certain extinction; only for taxa with a
            # response (for the others the factor is exactly exp(tanh(0)) = 1), two at a
            # time so that the two dependency chains overlap
            for km in range(0, nmod - 1, 2):
                i1 = modidx[km]
                i2 = modidx[km + 1]
                f1 = _exp_tanh(TP[i1, TP_CORT] * c + TP[i1, TP_INFL] * iota)
                f2 = _exp_tanh(TP[i2, TP_CORT] * c + TP[i2, TP_INFL] * iota)
                _vstore(sc, _TB + i1 * _TS + _T_MOD, f1)
                _vstore(sc, _TB + i2 * _TS + _T_MOD, f2)
            if nmod % 2 == 1:
                i1 = modidx[nmod - 1]
                _vstore(sc, _TB + i1 * _TS + _T_MOD, _exp_tanh(TP[i1, TP_CORT] * c + TP[i1, TP_INFL] * iota))
            # -- microbiome: gLV growth, competition, noise, immigration, washout, kill; two
            # taxa at a time (each w row is loaded once for both, and two chains overlap)
            for i in range(0, S - 1, 2):
                comp1 = zero
                comp2 = zero
                for j in range(S):  # comp[i] = sum_j ALPHA[i, j] w[j], j ascending
                    wj = _vload(sc, _TB + j * _TS + _T_W)
                    comp1 = comp1 + ALPHA[i, j] * wj
                    comp2 = comp2 + ALPHA[i + 1, j] * wj
                _grow(scp, TP, i, comp1, dt, floor, any_kill, phi_f, phi_in, phi_fo, phi_go, phi_s)
                _grow(scp, TP, i + 1, comp2, dt, floor, any_kill, phi_f, phi_in, phi_fo, phi_go, phi_s)
            if S % 2 == 1:
                comp1 = zero
                for j in range(S):
                    comp1 = comp1 + ALPHA[S - 1, j] * _vload(sc, _TB + j * _TS + _T_W)
                _grow(scp, TP, S - 1, comp1, dt, floor, any_kill, phi_f, phi_in, phi_fo, phi_go, phi_s)
            # -- host: SCFA, barrier, LPS, IL-6, CRP, Kyn/Trp, 5-HT, GABA, vagus, cortisol
            but = zero
            lps = zero
            sero = zero
            gaba = zero
            anti = zero
            bsup = zero
            vs = zero
            for j in range(S):  # zero coefficients add exactly nothing and are skipped
                Nj = _vload(sc, _TB + j * _TS + _T_N)
                if TP[j, TP_BUT] != 0.0:
                    but = but + TP[j, TP_BUT] * Nj
                if TP[j, TP_LPS] != 0.0:
                    lps = lps + TP[j, TP_LPS] * Nj
                if TP[j, TP_SERO] != 0.0:
                    sero = sero + TP[j, TP_SERO] * Nj
                if TP[j, TP_GABA] != 0.0:
                    gaba = gaba + TP[j, TP_GABA] * Nj
                if TP[j, TP_RESIDENT] == 0.0:
                    h = Nj / (Nj + half)
                    anti = anti + TP[j, TP_ANTI] * h
                    bsup = bsup + TP[j, TP_BARRIER] * h
                    vs = vs + TP[j, TP_VAGAL] * h
            anti = _sel(anti > 0.95, 0.95, anti)
            # (divisions by constants are multiplications by their reciprocals here)
            bstar = but * (1.0 / NORMS[0]) * ferment_sub
            Bh = bstar + (Bh - bstar) * eB
            lnB = _log(_sel(Bh > 1e-6, Bh, 1e-6))
            xb = logit_bref + PRM[P_BAR_BUT] * lnB - PRM[P_BAR_CORT] * c - PRM[P_BAR_INFL] * iota + bsup
            e = _exp(-abs(xb))
            rb = 1.0 / (1.0 + e)
            btarget = _sel(xb >= 0.0, rb, e * rb)
            bar = btarget + (bar - btarget) * eBar
            L = lps * (1.0 / NORMS[1]) * (1.0 - bar) * (1.0 / one_m_bref)
            ln_il6_t = (ln_il6_p + susc * (il6_lps * (_log(1.0 + L * (1.0 - anti)) - _LN2)
                                           + il6_cort * c - il6_but * lnB)
                        - ferm_term)
            ln_il6 = ln_il6_t + (ln_il6 - ln_il6_t) * eI
            ln_crp_t = ln_crp_p + crp_exp * (ln_il6 - ln_il6_p)
            ln_crp = ln_crp_t + (ln_crp - ln_crp_t) * eC
            kt_rel = kt_exp * (ln_il6 - ln_il6_p)
            trp = _exp(-trp_exp * kt_rel)
            s5t = trp * (PRM[P_SERO_SF] * sero * (1.0 / NORMS[2]) + PRM[P_SERO_B] * Bh) * (1.0 / sero_wsum)
            S5 = s5t + (S5 - s5t) * e5
            gt = gaba * (1.0 / NORMS[3])
            G = gt + (G - gt) * eG
            # afferent drive, saturating: 1 at the reference gut, at most 2 x tone
            X = (PRM[P_VAG_G] * G + PRM[P_VAG_5] * S5 + PRM[P_VAG_B] * Bh) * (1.0 / vag_wsum) + PRM[P_VAG_S] * vs
            V = tone_eff * 2.0 * X / (1.0 + X)
            ln_cort_t = cort_base + PRM[P_CORT_INFL] * iota - PRM[P_CORT_VAG] * (V - 1.0)
            ln_cort = ln_cort_t + (ln_cort - ln_cort_t) * eK

        # ---- host state out of the substeps, back from logarithms
        il6 = _exp(ln_il6)
        _vstore(sc, _G_H + H_BUT * _VW, Bh)
        _vstore(sc, _G_H + H_BAR * _VW, bar)
        _vstore(sc, _G_H + H_IL6 * _VW, il6)
        _vstore(sc, _G_H + H_CRP * _VW, _exp(ln_crp))
        _vstore(sc, _G_H + H_KT * _VW, _vload(sc, _G_TKT) * _exp(kt_rel))  # Kyn/Trp is only an output
        _vstore(sc, _G_H + H_SERO * _VW, S5)
        _vstore(sc, _G_H + H_GABA * _VW, G)
        _vstore(sc, _G_H + H_VAG * _VW, V)
        _vstore(sc, _G_H + H_CORT * _VW, _exp(ln_cort))
        _vstore(sc, _G_H + H_LPS * _VW, L)

        # ---- mood: one Euler-Maruyama day step, driven only by host signals
        r0, r1, r2, r3 = _philox_vec(pid, vday, _vsplati(SITE_MOOD), _vsplati(0), key0, key1)
        z0, z1 = _box_muller_u(_u01_vec(r0), _u01_vec(r1))
        z2, _z3 = _box_muller_u(_u01_vec(r2), _u01_vec(r3))
        c = ln_cort - ln_cort_ref
        infl = _log(1.0 + il6 / thr) - infl_ref
        vag = V - 1.0
        E = _vload(sc, _G_H + H_EXP * _VW)
        CT = _vload(sc, _G_H + H_CON * _VW)
        relief = PRM[P_EXPECT] * E + PRM[P_CONTACT] * CT
        P0 = _vload(sc, _G_M)
        A0 = _vload(sc, _G_M + _VW)
        D0 = _vload(sc, _G_M + 2 * _VW)
        pset = _vload(sc, _G_PSET)
        dP = P0 - pset
        _vstore(sc, _G_M, P0 + PRM[P_TH_P] * (pset - P0) + PRM[P_P_LOAD] * react_eff * load
                + PRM[P_P_CORT] * c - PRM[P_P_VAG] * vag - PRM[P_MANAGE] * manage - relief
                + PRM[P_SD_P] * z0)
        _vstore(sc, _G_M + _VW, A0 + PRM[P_TH_A] * (_vload(sc, _G_ASET) - A0) + PRM[P_A_CORT] * c + PRM[P_A_P] * dP
                + PRM[P_A_INFL] * infl - PRM[P_A_VAG] * vag - 0.5 * PRM[P_MANAGE] * manage - relief
                + PRM[P_SD_A] * z1)
        _vstore(sc, _G_M + 2 * _VW, D0 + PRM[P_TH_D] * (_vload(sc, _G_DSET) - D0) + PRM[P_D_CORT] * c
                + PRM[P_D_P] * dP + PRM[P_D_INFL] * infl - PRM[P_D_VAG] * vag - 0.5 * PRM[P_MANAGE] * manage
                - relief + PRM[P_SD_D] * z2)
        prod = _vload(sc, _G_TEXP) * _vload(sc, _G_PROD)
        _vstore(sc, _G_H + H_EXP * _VW, prod + (E - prod) * eE)
        _vstore(sc, _G_H + H_CON * _VW, CT * eT + _vload(sc, _G_VISIT))

        # ---- loud failure, per lane: non-finite state, an impossible load or a fully
        # extinct resident community
        nonfin = zero != zero
        huge = nonfin
        alive = nonfin
        for j in range(S):
            x = _vload(sc, _TB + j * _TS + _T_N)
            nonfin = nonfin | ((x - x) != 0.0)
            huge = huge | (x > MAX_CELLS_PER_G)
            if TP[j, TP_RESIDENT] != 0.0:
                alive = alive | (x > 0.0)
        for k in range(N_HOST):
            x = _vload(sc, _G_H + k * _VW)
            nonfin = nonfin | ((x - x) != 0.0)
        for k in range(N_MOOD):
            x = _vload(sc, _G_M + k * _VW)
            nonfin = nonfin | ((x - x) != 0.0)
        for k in (H_IL6, H_CRP, H_CORT):
            nonfin = nonfin | (_vload(sc, _G_H + k * _VW) <= 0.0)
        code = _sel(nonfin, STATUS_NONFINITE, _sel(huge, STATUS_IMPLAUSIBLE, _sel(alive, STATUS_OK, STATUS_EXTINCT)))
        _vstore(sc, _G_CODE, _tofloat(code))

        # ---- scatter lanes -> participant rows
        for l in range(nl):
            p = act[a0 + l]
            for j in range(S):
                o = _TB + j * _TS + l
                N[p, j] = sc[o + _T_N]
            if keep_work:
                for j in range(S):
                    o = _TB + j * _TS + l
                    WORK[p, j] = sc[o + _T_XI]
                    WORK[p, S + j] = sc[o + _T_W]
            for k in range(N_HOST):
                H[p, k] = sc[_G_H + k * _VW + l]
            for k in range(N_MOOD):
                M[p, k] = sc[_G_M + k * _VW + l]
            st = int(sc[_G_CODE + l])
            if st != STATUS_OK:
                status[p] = st
                fail_day[p] = day


def _check_optional_rows(name, a, n, width):
    """The kernels read or write a (n, width) array, or skip a (0, width) one."""
    if a.ndim != 2 or a.shape[1] != width or a.shape[0] not in (0, n):
        raise ValueError(f"{name} has shape {a.shape}; expected ({n}, {width}), or (0, {width}) to skip it")


def step_day(N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM,
             KEYS, PIDS, day, status, fail_day, WORK):
    """Advance every participant with ``status == STATUS_OK`` by one day, in place.

    N      (n, S)  abundances, cells/g
    H      (n, 12) host state (HOST_NAMES)
    M      (n, 3)  latent stress, anxiety, depression
    T      (n, 11) traits (TRAIT_NAMES)
    KAPPA, CSENS, CPRESS (n, S) person niche size, competition sensitivity, pressure
    DRV    (n, 10) today's drivers (DRIVER_NAMES)
    IMM    (n, S)  immigration, cells/g/day
    KILL   (n, S)  antibiotic kill, 1/day; or (0, S) when nobody has any today (not read)
    TP     (S, 20) taxon parameters;  ALPHA (S, S) competition of j's community share on i
    NORMS  (10,)    normalisers;  PRM  (P,) model parameters (PARAM_NAMES)
    KEYS   (n, 2)  Philox keys (seed, replicate, 'dynamics');  PIDS (n,) stable ids
    status, fail_day (n,) int64: first failure, never overwritten
    WORK   (n, 2S) out, diagnostics: the day's microbiome noise (equal to
           ``rng.normals(KEYS, PIDS, day, SITE_MICROBIOME, S)``) and the last substep's
           weighted loads; or (0, 2S) to skip them

    The active participants are advanced _VW at a time (:func:`_step_blocks`): each
    thread has its own scratch, allocated before the parallel loop, works through its
    own contiguous range of blocks and then takes over what is left of the others'
    (atomic counters). This is a plain Python wrapper because Numba cannot cache a
    function that asks for the thread count itself.
    """
    n, S = N.shape
    _check_optional_rows("KILL", KILL, n, S)
    _check_optional_rows("WORK", WORK, n, 2 * S)
    _step_day(N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM, KEYS, PIDS, day,
              status, fail_day, WORK, get_num_threads())


@njit(cache=True, parallel=True, error_model="numpy")
def _step_day(N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM, KEYS, PIDS, day,
              status, fail_day, WORK, nthreads):
    n, S = N.shape
    act = np.empty(n, np.int64)
    na = np.int64(0)  # (not a literal 0: keeps _step_blocks to one compiled signature)
    for p in range(n):
        if status[p] == STATUS_OK:
            act[na] = p
            na += 1
    if na == 0:
        return
    nb = (na + _VW - 1) // _VW
    nt = max(1, min(nthreads, nb))
    # per-thread scratch rows, far apart (see _SCRATCH_GAP)
    sc = _thread_scratch(nt, _TB + S * _TS)
    isc = np.empty((nt, 3 * _VW + 16), np.uint32)
    modidx, nmod = _modulated_taxa(TP)
    counters = _block_ranges(nb, nt)
    for t in prange(nt):  # (np.int64(t): one compiled signature of _step_blocks)
        _step_blocks(N, H, M, T, KAPPA, CSENS, CPRESS, DRV, IMM, KILL, TP, ALPHA, NORMS, PRM, KEYS, PIDS, day,
                     status, fail_day, WORK, act, na, modidx, nmod, counters, np.int64(t), nt, sc[t], isc[t])


@njit(cache=True, inline="always", error_model="numpy")
def _floor_grow(sc, TP, i, comp, dt):
    """The floor's substep of taxon i: the kernel's exact logistic update without noise,
    diet, modulation, kill or immigration."""
    oi = i * _FTS
    A = (TP[i, TP_RHO] * (TP[i, TP_NICHE] - _vload(sc, oi + _F_CS) * comp) - TP[i, TP_DELTA]) * dt
    E1 = _expm1(A)
    phi = _sel(A != 0.0, E1 / A, 1.0)
    x0 = _vload(sc, oi + _F_N)
    _vstore(sc, oi + _F_N, x0 * (1.0 + E1) / (1.0 + _vload(sc, oi + _F_BDT) * x0 * phi))


@njit(cache=True, error_model="numpy")
def _floor_blocks(N, KAPPA, CSENS, CPRESS, TP, ALPHA, NORMS, nsub, WORK, counters, t, nt, sc):
    n, S = N.shape
    scp = _dataptr(sc)  # as in _step_blocks
    keep_work = WORK.shape[0] != 0
    dt = 1.0 / nsub
    inv_comm = 1.0 / NORMS[9]
    nb = (n + _VW - 1) // _VW
    while True:  # blocks taken as in the kernel
        blk = _take_block(counters, t, nt, nb)
        if blk < 0:
            break
        p0 = blk * _VW
        nl = min(_VW, n - p0)
        for l in range(_VW):
            p = p0 + min(l, nl - 1)
            for i in range(S):
                o = i * _FTS + l
                sc[o + _F_N] = N[p, i]
                sc[o + _F_CS] = CSENS[p, i]
                sc[o + _F_CP] = CPRESS[p, i]
                sc[o + _F_BDT] = KAPPA[p, i]
        for i in range(S):
            _vstore(sc, i * _FTS + _F_BDT, TP[i, TP_RHO] * dt / (TP[i, TP_KREF] * _vload(sc, i * _FTS + _F_BDT)))
        for sub in range(nsub):
            for j in range(S):
                oj = j * _FTS
                _vstore(sc, oj + _F_W, _vload(sc, oj + _F_CP) * _vload(sc, oj + _F_N) * inv_comm)
            i = 0
            while i < S:  # two taxa at a time, as in the kernel
                if i + 1 < S:
                    comp1 = _vsplat(0.0)
                    comp2 = _vsplat(0.0)
                    for j in range(S):
                        wj = _vload(sc, j * _FTS + _F_W)
                        comp1 = comp1 + ALPHA[i, j] * wj
                        comp2 = comp2 + ALPHA[i + 1, j] * wj
                    _floor_grow(scp, TP, i, comp1, dt)
                    _floor_grow(scp, TP, i + 1, comp2, dt)
                    i += 2
                else:
                    comp1 = _vsplat(0.0)
                    for j in range(S):
                        comp1 = comp1 + ALPHA[i, j] * _vload(sc, j * _FTS + _F_W)
                    _floor_grow(scp, TP, i, comp1, dt)
                    i += 1
        for l in range(nl):
            p = p0 + l
            for j in range(S):
                N[p, j] = sc[j * _FTS + _F_N + l]
            if keep_work:
                for j in range(S):
                    WORK[p, S + j] = sc[j * _FTS + _F_W + l]


def floor_day(N, KAPPA, CSENS, CPRESS, TP, ALPHA, NORMS, nsub, WORK):
    """Noise-free arithmetic floor of :func:`step_day`, used only by the benchmark as the
    attainable rate of the bare arithmetic. It is built exactly like the kernel: the same
    blocks of _VW SIMD lanes, gather and scatter (N, CSENS, CPRESS, KAPPA in; N and the
    weighted loads out), the same gLV matrix-vector product (same summation order,
    accumulated in registers, two taxa at a time) and the same exact logistic update with
    the same vectorised ``_expm1``, once per taxon and substep. It leaves out random
    numbers, diet, kill, immigration, host modulation, host state, mood and the failure
    checks. (Plain Python wrapper, like :func:`step_day`; WORK may be (0, 2S).)"""
    _check_optional_rows("WORK", WORK, N.shape[0], 2 * N.shape[1])
    _floor_day(N, KAPPA, CSENS, CPRESS, TP, ALPHA, NORMS, int(nsub), WORK, get_num_threads())


@njit(cache=True, parallel=True, error_model="numpy")
def _floor_day(N, KAPPA, CSENS, CPRESS, TP, ALPHA, NORMS, nsub, WORK, nthreads):
    n, S = N.shape
    if n == 0:
        return
    nb = (n + _VW - 1) // _VW
    nt = max(1, min(nthreads, nb))
    sc = _thread_scratch(nt, S * _FTS)  # spaced as in the kernel
    counters = _block_ranges(nb, nt)
    for t in prange(nt):
        _floor_blocks(N, KAPPA, CSENS, CPRESS, TP, ALPHA, NORMS, nsub, WORK, counters, np.int64(t), nt, sc[t])
