"""Draw sobol_indices.png from sobol.json (beside this file) with short tick labels.

    python experiments/sensitivity_depression/figure.py
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from probisim.viz.sweep_plots import plot_sobol_indices  # noqa: E402

HERE = Path(__file__).resolve().parent
SHORT = {"L_helveticus_R0052": "R0052", "B_longum_R0175": "R0175"}


def short(path: str) -> str:
    parts = path.split(".")
    if parts[:2] == ["model", "strains"]:
        return f"{SHORT.get(parts[2], parts[2])}.{parts[3]}"
    if parts[:2] == ["population", "traits"]:
        return f"{parts[2]} ({parts[3]})"
    return parts[-1]


def main() -> None:
    result = json.loads((HERE / "sobol.json").read_text())
    result["parameters"] = [short(p) for p in result["parameters"]]
    outputs = list(result["outputs"])
    fig, axes = plt.subplots(len(outputs), 1, figsize=(6.4, 2.4 * len(outputs) + 0.8), sharex=True)
    for ax, name in zip(axes, outputs):
        plot_sobol_indices(result, ax=ax, output=name, title=name)
        ax.set_ylim(-0.25, 1.0)
        ax.set_ylabel("Sobol' index")
        if ax is not axes[0] and ax.get_legend() is not None:
            ax.get_legend().remove()
    for ax in axes[:-1]:
        ax.set_xlabel("")
    axes[-1].set_xlabel("parameter")
    fig.tight_layout()
    fig.savefig(HERE / "sobol_indices.png", dpi=100)


if __name__ == "__main__":
    main()
