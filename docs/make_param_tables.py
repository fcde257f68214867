"""Regenerate the parameter tables of docs/model.md from the code's metadata.

    python docs/make_param_tables.py          # rewrite the tables in place
    python docs/make_param_tables.py --check  # exit 1 if the doc is stale

The tables sit between the BEGIN/END PARAMETER TABLES markers; everything
else in the document is prose kept by hand.
"""

import contextlib
import io
import sys
from pathlib import Path

from probisim.config import describe_fields
from probisim.model.params import HostParams, MicrobiomeParams, MoodParams
from probisim.model.population import PopulationConfig, Traits
from probisim.model.richness import RichnessParams
from probisim.model.taxa import DEFAULT_STRAINS, DEFAULT_TAXA, Strain, Taxon

DOC = Path(__file__).with_name("model.md")
BEGIN, END = "<!-- BEGIN PARAMETER TABLES -->", "<!-- END PARAMETER TABLES -->"


def fmt(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict) and "dist" in v:
        s = f"{v['dist']}({v['mean']:g}, {v['sd']:g})"
        if v.get("low") is not None or v.get("high") is not None:
            s += f" clip [{v.get('low')}, {v.get('high')}]"
        return s
    return str(v).replace("|", "/")

def bounds(b):
    if not b:
        return ""
    lo, hi = b
    return f"[{fmt(lo) if lo is not None else '−∞'}, {fmt(hi) if hi is not None else '∞'}]"

def table(cls, prefix, skip=()):
    rows = describe_fields(cls, prefix)
    print("| path | unit | default | bounds | source | meaning |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        if any(r["path"].endswith(s) or r["path"].startswith(s) for s in skip):
            continue
        d = r["default"]
        source = (r.get('source') or '').replace('|', '/')
        doc = (r.get('doc') or '').replace('|', '/')
        print(f"| `{r['path']}` | {r.get('unit') or ''} | {fmt(d)} | {bounds(r.get('bounds'))} | {source} | {doc} |")
    print()

def _emit():
    for cls, pre, title in [(MicrobiomeParams, "model.micro", "Microbiome (`model.micro`)"),
                            (HostParams, "model.host", "Host gut–brain axis (`model.host`)"),
                            (MoodParams, "model.mood", "Mood (`model.mood`)"),
                            (RichnessParams, "model.richness", "Species richness (`model.richness`, §3.5)"),
                            (Taxon, "model.taxa.<name>", "Taxon fields (`model.taxa.<name>`, class defaults)"),
                            (Strain, "model.strains.<name>", "Strain fields (`model.strains.<name>`, class defaults)"),
                            (Traits, "population.traits",
                             "Population traits (`population.traits`, community defaults)")]:
        print(f"#### {title}\n")
        table(cls, pre, skip=(".dist",".mean",".sd",".low",".high") if cls is Traits else ())

    print("#### Population settings (`population`)\n")
    table(PopulationConfig, "population", skip=("population.traits", "population.correlations"))
    print("#### Default resident taxa\n")
    cols = ["baseline_log10","baseline_sd_log10","baseline_skew","growth_per_day","noise_sd","fibre","inulin","fos",
            "gos","sugar","cortisol_response","inflammation_response","butyrate_yield","lps_potency","gaba_capacity",
            "dopamine_capacity","serotonin_promotion","fermented_log10_per_serving","antibiotic_sensitivity"]
    short = ["log10 N̄","SD","skew λ","ρ","σ","fibre","inulin","FOS","GOS","sugar","cort","IL-6","but","LPS","GABA",
             "DA","5-HT","ferm log10","abx"]
    print("| taxon (genus) | " + " | ".join(short) + " | source |")
    print("|---|" + "---|"*len(short) + "---|")
    for k, t in DEFAULT_TAXA.items():
        print(f"| {k} ({t.genus}) | " + " | ".join(fmt(float(getattr(t,c))) for c in cols) + f" | {t.source} |")
    print()
    print("#### Default species pools (§3.5)\n")
    print("| taxon | regional pool (species) | present in the reference person (species) |")
    print("|---|---|---|")
    for k, t in DEFAULT_TAXA.items():
        print(f"| {k} | {t.species_pool} | {fmt(float(t.species_present))} |")
    print(f"| total | {sum(t.species_pool for t in DEFAULT_TAXA.values())} | "
          f"{fmt(float(sum(t.species_present for t in DEFAULT_TAXA.values())))} |")
    print()
    print("#### Default strains\n")
    cols = ["genus","gastric_survival","growth_per_day","niche","congener_competition","reference_log10","noise_sd",
            "gaba_capacity","dopamine_capacity","anti_inflammatory","barrier_support","vagal_activity",
            "antibiotic_sensitivity"]
    short = ["genus","survival","ρ","niche m","α congener","ref log10","σ","GABA","DA","anti-infl","barrier","vagal",
             "abx"]
    print("| strain | " + " | ".join(short) + " | source |")
    print("|---|" + "---|"*len(short) + "---|")
    for k, s in DEFAULT_STRAINS.items():
        vals = [s.genus] + [fmt(float(getattr(s,c))) for c in cols[1:]]
        print(f"| {k} | " + " | ".join(vals) + f" | {s.source} |")


def render() -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        _emit()
    return buf.getvalue().rstrip() + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = DOC.read_text()
    a, b = text.index(BEGIN) + len(BEGIN), text.index(END)
    new = text[:a] + "\n" + render() + text[b:]
    if "--check" in argv:
        if new != text:
            print("docs/model.md parameter tables are stale: run python docs/make_param_tables.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
