"""SIMD lanes for the kernels: ``_VecF`` / ``_VecI`` / ``_VecM`` hold ``_VW`` float64 /
int64 / bool lanes in one LLVM vector value, with lane-wise arithmetic, comparison,
bit and select operations, loads and stores from float64 scratch arrays, and casts;
plus raw data pointers (:func:`_dataptr`) and borrowed arrays (:func:`_borrow`), which
keep reference counting out of the kernel's loops. This is LLVM plumbing (llvmlite
intrinsics and Numba type registrations); the model's equations are in
:mod:`.microbiome`, :mod:`.host` and :mod:`.mood`, in the order of :mod:`.step`."""

from __future__ import annotations

import math
import operator

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, models, overload, register_model

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


def _borrow_ir(context, builder, aryty, ary):
    """IR: a copy of an array struct with null meminfo and parent."""
    src = context.make_array(aryty)(context, builder, ary)
    dst = context.make_array(aryty)(context, builder)
    dst.meminfo = cgutils.get_null_value(dst.meminfo.type)
    dst.parent = cgutils.get_null_value(dst.parent.type)
    dst.nitems = src.nitems
    dst.itemsize = src.itemsize
    dst.data = src.data
    dst.shape = src.shape
    dst.strides = src.strides
    return dst._getvalue()


@intrinsic
def _borrow(typingctx, arrs):
    """The same arrays (data, shape, strides; one array or a tuple of arrays) without a
    reference count: their meminfo and parent are null, so Numba's increfs and decrefs
    of them compile to nothing. An array passed to an inlined helper that has loops
    otherwise keeps an atomic incref/decref pair per call in the caller's loops (Numba's
    reference-count pruning only removes pairs within a basic block or a simple
    branch), and two threads counting references to the same array ping-pong its cache
    line. A borrowed array must not outlive the array it was taken from."""
    if isinstance(arrs, types.Array):
        def codegen(context, builder, signature, args):
            return _borrow_ir(context, builder, signature.args[0], args[0])
        return arrs(arrs), codegen
    if isinstance(arrs, types.BaseTuple) and all(isinstance(a, types.Array) for a in arrs):
        def codegen_tuple(context, builder, signature, args):
            tup = args[0]
            for k, aryty in enumerate(signature.args[0]):
                b = _borrow_ir(context, builder, aryty, builder.extract_value(args[0], k))
                tup = builder.insert_value(tup, b, k)
            return tup
        return arrs(arrs), codegen_tuple
    return None


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

