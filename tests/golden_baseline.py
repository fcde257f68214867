"""The golden baseline: fixed-seed runs whose results every test run compares against.

A few replicate trials of every shipped experiment and one ``simulate()`` run
with every kind of intervention are recomputed and compared with
``tests/golden/baseline.json``: a SHA-256 hash of every result array (bit for
bit) and the headline figures (so a failure says what moved, not only that
something did). A refactor must leave the baseline unchanged; a change to the
model or the trial layer that moves results regenerates it deliberately, in a
commit that says why::

    python tests/golden_baseline.py --write      # regenerate tests/golden/baseline.json
    python tests/golden_baseline.py              # compare, print what differs (exit 1 if anything does)

Only the public API is used (``probisim.simulate``, ``probisim.run_trial``,
``probisim.load_trial_config``), so the baseline survives a reorganisation of
the package's modules.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BASELINE = HERE / "golden" / "baseline.json"

#: shipped experiments and the replicate count each is run with here
EXPERIMENTS = {"stress_anxiety_6wk": 4, "depression_mild_moderate": 3, "community_depression": 4}
SEED = 12345

#: one population through every kind of intervention (day 0 = first day after burn-in)
SIM_CONFIG = {
    "seed": 2024, "n": 240, "days": 70, "record_every": 7,
    "population": {"burn_in_days": 30},
    "interventions": [
        {"kind": "probiotic", "start_day": 0, "end_day": 42,
         "strains": {"L_helveticus_R0052": 5e9, "B_longum_R0175": 5e9}},
        {"kind": "prebiotic", "type": "inulin", "grams_per_day": 8.0, "start_day": 7, "end_day": 28},
        {"kind": "diet", "fibre_g_per_day": 10.0, "fermented_servings_per_day": 2.0, "start_day": 14,
         "end_day": 56},
        {"kind": "stressor", "type": "acute", "load": 1.0, "start_day": 21, "end_day": 28},
        {"kind": "stress_management", "intensity": 0.8, "start_day": 28, "end_day": 56},
        {"kind": "antibiotic", "kill_per_day": 2.0, "start_day": 49, "end_day": 53},
    ],
}


def experiment_config(name: str) -> Path:
    """Path of a shipped experiment's config."""
    from probisim.trial.experiments import experiment_path

    return experiment_path(name)


def _hash_array(h, name: str, a) -> None:
    a = np.asarray(a)
    h.update(name.encode())
    if a.dtype.kind in "USO":
        h.update(b"str" + repr(a.shape).encode())
        h.update("\x00".join(map(str, a.ravel().tolist())).encode())
        return
    if a.dtype.kind == "b":
        a = a.astype(np.uint8)
    h.update(f"{a.dtype.str}{a.shape}".encode())
    h.update(np.ascontiguousarray(a).tobytes())


def table_hash(table: dict) -> str:
    """SHA-256 of a table (dict of arrays, or of dicts of arrays), in key order."""
    h = hashlib.sha256()

    def walk(prefix, obj):
        for k in sorted(obj):
            v = obj[k]
            if isinstance(v, dict):
                walk(f"{prefix}{k}/", v)
            else:
                _hash_array(h, f"{prefix}{k}", v)

    walk("", table)
    return h.hexdigest()


def _num(x):
    x = float(x)
    return x if np.isfinite(x) else None


def trial_record(name: str, replicates: int) -> dict:
    import probisim

    cfg = probisim.load_trial_config(experiment_config(name))
    res = probisim.run_trial(cfg, replicates=replicates, seed=SEED)
    figures = {}
    for key, pr in res.per_replicate.items():
        figures[key] = {
            "hedges_g_mean": _num(np.nanmean(pr["hedges_g"])),
            "ancova_itt_estimate_mean": _num(np.nanmean(pr["ancova_itt_estimate"])),
            "ancova_itt_p_min": _num(np.nanmin(pr["ancova_itt_p"])),
        }
    part = res.participants
    figures["enrolment"] = {"screened_mean": _num(np.mean(res.screening["screened"])),
                            "completed_share": _num(np.mean(part["completed"]))}
    hashes = {
        "visits": table_hash(res.visits),
        "participants": table_hash(res.participants),
        "biomarkers": table_hash(res.biomarkers),
        "per_replicate": table_hash(res.per_replicate),
        "trajectories": table_hash(res.trajectories),
    }
    return {"replicates": replicates, "seed": SEED, "figures": figures, "hashes": hashes}


def simulate_record() -> dict:
    import probisim

    res = probisim.simulate(SIM_CONFIG)
    figures = {name: [_num(a), _num(b)] for name, (a, b) in res.summary().items()}
    ab = res.abundance.values
    taxa = list(res.abundance.coords["taxon"])
    figures.update({f"log10_{t}_mean_last": _num(np.mean(np.log10(np.maximum(ab[:, -1, k], 1.0))))
                    for k, t in enumerate(taxa)})
    sp = res.species.values.sum(axis=-1)
    figures["species_present_mean"] = [_num(np.mean(sp[:, 0])), _num(np.mean(sp[:, -1]))]
    hashes = {"abundance": table_hash({"v": ab}), "host": table_hash({"v": res.host.values}),
              "mood": table_hash({"v": res.mood.values}), "traits": table_hash(res.traits),
              "species": table_hash({"v": res.species.values})}
    return {"figures": figures, "hashes": hashes}


def compute() -> dict:
    """Every record of the baseline, recomputed now."""
    out = {f"trial:{name}": trial_record(name, r) for name, r in EXPERIMENTS.items()}
    out["simulate"] = simulate_record()
    return out


def environment() -> dict:
    import numba
    import scipy

    return {"python": platform.python_version(), "numpy": np.__version__, "numba": numba.__version__,
            "scipy": scipy.__version__, "machine": platform.machine()}


def differences(expected: dict, actual: dict) -> list[str]:
    """Human-readable lines for every hash or figure that differs."""
    lines = []
    for rec in sorted(set(expected) | set(actual)):
        e, a = expected.get(rec), actual.get(rec)
        if e is None or a is None:
            lines.append(f"{rec}: {'new' if e is None else 'missing'} record")
            continue
        for k in sorted(set(e["hashes"]) | set(a["hashes"])):
            if e["hashes"].get(k) != a["hashes"].get(k):
                lines.append(f"{rec}: {k} arrays changed")
        ef, af = e["figures"], a["figures"]
        for k in sorted(set(ef) | set(af)):
            if ef.get(k) != af.get(k):
                lines.append(f"{rec}: {k}: {ef.get(k)} -> {af.get(k)}")
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Compare with (or --write) the golden baseline.")
    p.add_argument("--write", action="store_true", help="regenerate tests/golden/baseline.json")
    args = p.parse_args(argv)
    actual = compute()
    if args.write:
        BASELINE.parent.mkdir(exist_ok=True)
        doc = {"about": "golden baseline; regenerate with `python tests/golden_baseline.py --write` "
                        "and say why in the commit", "environment": environment(), "records": actual}
        BASELINE.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {BASELINE}")
        return 0
    expected = json.loads(BASELINE.read_text(encoding="utf-8"))["records"]
    diff = differences(expected, actual)
    print("\n".join(diff) if diff else "golden baseline unchanged")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
