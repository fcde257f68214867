"""Where does the day step spend its time? Remove one part of the kernel at a time.

Builds variants of the kernel package ``probisim/kernels/`` in a temporary directory,
each a copy in which one module (``step.py``, ``microbiome.py`` or ``host.py``) has
one part of the day step cut out or replaced by a constant; compiles each
(about 15 s apiece, cached in that directory only) and times one-thread day
steps on the benchmark population of ``bench_kernel.py`` (20 taxa, every
strain dosed, 5 g/day inulin). A variant's saving over ``base`` (the
unmodified kernel, compiled the same way) is what that part costs, up to the
out-of-order overlap between parts. The variants compute wrong dynamics: they
exist to be timed, and each day starts again from the same state.

    python benchmarks/ablate_kernel.py                  # all parts, n = 10,000
    python benchmarks/ablate_kernel.py --only noise,host --n 2000
    python benchmarks/ablate_kernel.py --json

The parts (``--only`` names): ``noise`` (daily Philox + Box-Muller, replaced
by zeros), ``modulation`` (the host modulation exp(tanh(.)), replaced by 1),
``host`` (the per-substep host block after the sums over taxa), ``scalars``
(the per-participant gathers of traits, drivers, host and mood state: done
for a thread's first block only), ``mood`` (the mood step), ``checks`` (the
failure checks), ``diet`` (all diet terms of the growth rate, which also
drops the prebiotic shares) and ``prebiotic`` (only the prebiotic shares).
A patch that no longer matches the kernel's source stops the run with its
name: update it together with the kernel.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_kernel import Work, bench_model, machine  # noqa: E402

KERNELS = Path(importlib.util.find_spec("probisim.kernels").origin).parent  # the package directory


def _cut(s: str, start: str, end: str, keep_start: bool = False, insert: str = "") -> str:
    i, j = s.index(start), s.index(end)
    if j <= i:
        raise ValueError("end before start")
    return s[:i] + (start if keep_start else "") + insert + s[j:]


def _replace(s: str, old: str, new: str) -> str:
    if s.count(old) != 1:
        raise ValueError(old)
    return s.replace(old, new)


def _noise(s):  # microbiome.py
    philox = "        r0, r1, r2, r3 = _philox_vec(pid, vday, _vsplati(SITE_MICROBIOME), _vsplati(b), key0, key1)\n"
    return _replace(s, philox + """        z0, z1 = _box_muller_u(_u01_vec(r0), _u01_vec(r1))
        z2, z3 = _box_muller_u(_u01_vec(r2), _u01_vec(r3))""", """        z0 = _vsplat(0.0)
        z1 = z0
        z2 = z0
        z3 = z0""")


def _modulation(s):  # microbiome.py
    s = _replace(s, """        f1 = _exp_tanh(TP[i1, TP_CORT] * c + TP[i1, TP_INFL] * iota)
        f2 = _exp_tanh(TP[i2, TP_CORT] * c + TP[i2, TP_INFL] * iota)""", """        f1 = _vsplat(1.0)
        f2 = f1""")
    return _replace(s, "_set_taxon(sc, i1, TR_MOD, _exp_tanh(TP[i1, TP_CORT] * c + TP[i1, TP_INFL] * iota))",
                    "_set_taxon(sc, i1, TR_MOD, _vsplat(1.0))")


def _host(s):  # host.py: the substep returns the state it was given
    return _cut(s, "    anti = _sel(anti > 0.95, 0.95, anti)\n",
                '\n\n@njit(cache=True, inline="always", error_model="numpy")\ndef _host_state_out', keep_start=True,
                insert="    return h\n\n")


def _scalars(s):  # step.py: traits, drivers, host and mood state gathered for a thread's first block only
    s = _replace(s, "    nb = (na + _VW - 1) // _VW\n    while True:\n",
                 "    nb = (na + _VW - 1) // _VW\n    first = True\n    any_pre = False\n    while True:\n")
    s = _replace(s, "        any_pre = _gather_participants(sc, act, a0, nl, T, DRV, H, M)\n",
                 "        if first:\n            any_pre = _gather_participants(sc, act, a0, nl, T, DRV, H, M)\n")
    return _replace(s, "        _scatter(sc, act, a0, nl, N, H, M, WORK, status, fail_day, day)\n",
                    "        _scatter(sc, act, a0, nl, N, H, M, WORK, status, fail_day, day)\n        first = False\n")


def _mood(s):  # step.py
    return _replace(s, "        _mood_step(sc, PRM, mood_k, today, h, keys, vday)\n", "")


def _checks(s):  # step.py
    return _replace(s, "        _failure_checks(sc, TP)\n", "        _vstore(sc, ROW_CODE, _vsplat(0.0))\n")


def _diet(s):  # microbiome.py
    for k in ("FIBRE", "INULIN", "FOS", "GOS", "SUGAR"):
        s = _replace(s, f"    if TP[i, TP_{k}] != 0.0:\n        m = m + TP[i, TP_{k}]",
                     f"    if False:\n        m = m + TP[i, TP_{k}]")
    return s


def _prebiotic(s):  # microbiome.py
    return _replace(s, "    if diet.any_pre:\n        phi_in, phi_fo, phi_go",
                    "    if False:\n        phi_in, phi_fo, phi_go")


#: part -> (the module of probisim/kernels/ it patches, the patch)
PARTS = {"noise": ("microbiome.py", _noise), "modulation": ("microbiome.py", _modulation),
         "host": ("host.py", _host), "scalars": ("step.py", _scalars), "mood": ("step.py", _mood),
         "checks": ("step.py", _checks), "diet": ("microbiome.py", _diet), "prebiotic": ("microbiome.py", _prebiotic)}


def build(dirname: Path, names) -> dict:
    """One copy of the kernel package per variant (``_ablate_<name>``), one of its modules
    patched; returns name -> the variant's step module."""
    mods = {}
    for name in ["base", *names]:
        pkg = dirname / f"_ablate_{name}"
        shutil.copytree(KERNELS, pkg, ignore=shutil.ignore_patterns("__pycache__"))
        if name != "base":
            fname, patch = PARTS[name]
            src = (KERNELS / fname).read_text()
            try:
                s = patch(src)
            except ValueError:
                s = src
            if s == src:
                raise SystemExit(f"ablate_kernel.py: the '{name}' patch no longer matches probisim/kernels/{fname}; "
                                 "update PARTS in benchmarks/ablate_kernel.py")
            (pkg / fname).write_text(s)
    sys.path.insert(0, str(dirname))
    for name in ["base", *names]:
        print(f"  compiling {name} ...", file=sys.stderr, flush=True)
        mods[name] = importlib.import_module(f"_ablate_{name}.step")
    return mods


def run(args) -> dict:
    names = list(PARTS) if args.only is None else args.only
    numba.set_num_threads(1)
    model = bench_model()
    w = Work(model, args.n)
    with tempfile.TemporaryDirectory() as d:
        mods = build(Path(d), names)
        for K in mods.values():  # compile (or load) before timing
            w.reset()
            K.step_day(*w.args())
        best = {k: np.inf for k in mods}
        for r in range(args.rounds):
            for name, K in mods.items():  # interleaved: a busy neighbour hits all alike
                for _ in range(args.calls):
                    w.reset()
                    a = w.args()
                    t0 = time.perf_counter()
                    K.step_day(*a)
                    best[name] = min(best[name], time.perf_counter() - t0)
            print(f"  round {r + 1}/{args.rounds}", file=sys.stderr, flush=True)
    base = best["base"]
    ns = {k: 1e9 * v / args.n for k, v in best.items()}
    return {"machine": machine(), "n": args.n, "taxa": model.n_taxa, "threads": 1, "rounds": args.rounds,
            "ns_per_participant_day": ns,
            "saving_ns": {k: 1e9 * (base - v) / args.n for k, v in best.items() if k != "base"}}


def table(out: dict) -> str:
    lines = [f"CPU: {out['machine']['cpu']}; n = {out['n']:,}, {out['taxa']} taxa, 1 thread, best of "
             f"{out['rounds']} rounds", "", f"{'variant':<12} {'ns/participant-day':>19} {'part costs ns':>14}"]
    for k, v in out["ns_per_participant_day"].items():
        cost = "" if k == "base" else f"{out['saving_ns'][k]:14.1f}"
        lines.append(f"{k:<12} {v:19.1f} {cost:>14}")
    return "\n".join(lines)


def _parts(text: str) -> list[str]:
    names = [x.strip() for x in text.split(",") if x.strip()]
    bad = [x for x in names if x not in PARTS]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"{text!r}: expected some of {', '.join(PARTS)}")
    return names


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", type=_parts, default=None, help=f"comma-separated parts ({', '.join(PARTS)})")
    ap.add_argument("--n", type=int, default=10_000, help="participants (at least 16)")
    ap.add_argument("--rounds", type=int, default=12, help="interleaved rounds")
    ap.add_argument("--calls", type=int, default=5, help="timed day steps per variant and round")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    if args.n < 16:
        ap.error(f"--n {args.n}: expected at least 16")
    for k in ("rounds", "calls"):
        if getattr(args, k) < 1:
            ap.error(f"--{k} {getattr(args, k)}: expected at least 1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    out = run(args)
    print(json.dumps(out) if args.json else table(out))


if __name__ == "__main__":
    main()
