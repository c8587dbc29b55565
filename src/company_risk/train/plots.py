"""Evaluation figures logged with every run: ROC, precision-recall, calibration, confusion matrix.

Drawn with matplotlib's object API on the Agg canvas (no pyplot state, no display), small and
at low resolution: 28 runs x 4 figures must cost seconds, not minutes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from company_risk import metrics as m

_SIZE = (4.0, 3.6)
_DPI = 80


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    return path


def evaluation_figures(
    y: np.ndarray, p: np.ndarray, threshold: float, title: str, folder: Path
) -> list[Path]:
    """Write roc.png, pr.png, calibration.png and confusion_matrix.png into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    roc, pr, cal = m.roc_points(y, p), m.pr_points(y, p), m.calibration_points(y, p)
    cm = m.confusion(y, p, threshold)
    paths = []

    fig = Figure(figsize=_SIZE)
    ax = fig.subplots()
    ax.plot(roc["fpr"], roc["tpr"], lw=1.5)
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC {title}")
    paths.append(_save(fig, folder / "roc.png"))

    fig = Figure(figsize=_SIZE)
    ax = fig.subplots()
    ax.plot(pr["recall"], pr["precision"], lw=1.5)
    ax.axhline(float(np.mean(y)), ls="--", c="grey", lw=0.8)
    ax.set(xlabel="recall", ylabel="precision", title=f"PR {title}")
    paths.append(_save(fig, folder / "pr.png"))

    fig = Figure(figsize=_SIZE)
    ax = fig.subplots()
    ax.plot(cal["predicted"], cal["observed"], marker="o", lw=1.2)
    top = float(max(cal["predicted"].max(), cal["observed"].max(), 1e-3))
    ax.plot([0, top], [0, top], ls="--", c="grey", lw=0.8)
    ax.set(
        xlabel="mean predicted probability",
        ylabel="observed default rate",
        title=f"Calibration {title}",
    )
    paths.append(_save(fig, folder / "calibration.png"))

    fig = Figure(figsize=_SIZE)
    ax = fig.subplots()
    grid = np.array([[cm["tn"], cm["fp"]], [cm["fn"], cm["tp"]]])
    ax.imshow(grid, cmap="Blues")
    for (i, j), value in np.ndenumerate(grid):
        ax.text(j, i, str(value), ha="center", va="center")
    ax.set(
        xticks=[0, 1],
        yticks=[0, 1],
        xticklabels=["no default", "default"],
        yticklabels=["no default", "default"],
        xlabel="predicted",
        ylabel="actual",
        title=f"threshold {threshold:.3f}",
    )
    paths.append(_save(fig, folder / "confusion_matrix.png"))
    return paths
