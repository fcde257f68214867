"""Human labels for figures, built from the instrument and biomarker registries
(never a hand-copied list): ``score_label("pss10") == "PSS-10 total (0–40)"``,
``score_label("cortisol_nmol_l") == "Cortisol (nmol/L)"``."""

from __future__ import annotations

from ..measure import instruments
from ..measure.biomarkers import ENDPOINT_LABELS

__all__ = ["score_label", "variable_label", "arm_label", "comparison_label", "OKABE_ITO", "MARKERS"]

# Okabe & Ito 2008: colour-blind-safe qualitative palette (orange, sky blue, bluish green,
# vermillion, blue, reddish purple)
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7")
MARKERS = ("o", "s", "^", "D", "v", "P")

_LATENT = {"latent_stress": "Latent perceived stress", "latent_anxiety": "Latent anxiety",
           "latent_depression": "Latent depression"}


def score_label(score: str) -> str:
    """An instrument score with its range, or a lab endpoint with its unit."""
    if score in instruments.score_names():
        info = instruments.score_info(score)
        lo, hi = info["range"]
        return f"{info['label']} ({lo}–{hi})"
    if score in ENDPOINT_LABELS:
        return ENDPOINT_LABELS[score]
    if score.startswith("log10_"):
        return f"{score[6:].replace('_', ' ')} (log10 cells/g, qPCR)"
    return variable_label(score)


def variable_label(name: str) -> str:
    """A trajectory variable: latent states in model units, host markers with units."""
    if name in _LATENT:
        return f"{_LATENT[name]} (model units)"
    if name in ENDPOINT_LABELS:
        return ENDPOINT_LABELS[name]
    if name.startswith("log10_"):
        return f"{name[6:].replace('_', ' ')} (log10 cells/g)"
    return name.replace("_", " ")


def arm_label(name: str) -> str:
    """An arm's name as a figure shows it: its first letter capitalized."""
    return name[:1].upper() + name[1:]


def comparison_label(key: str) -> str:
    """``"pss10|probiotic vs placebo"`` -> ``"PSS-10 total (0–40): probiotic vs placebo"``."""
    score, _, comp = key.partition("|")
    return f"{score_label(score)}: {comp}" if comp else score_label(score)
