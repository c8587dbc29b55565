"""The portfolio page's figures, as PNG bytes ready to embed in the HTML.

Each function takes a table of the `Portfolio` and returns PNG bytes; nothing is written to
disk. Figures are plain `matplotlib.figure.Figure` objects drawn by their own canvas, never
through pyplot's global state, and saved without the PNG's software metadata, so the same
portfolio gives the same bytes and the page embeds them as base64 (no file beside it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from company_risk.png import to_png
from company_risk.schemas import RISK_CLASSES

_CLASS_COLOURS = dict(
    zip(RISK_CLASSES, colormaps["RdYlGn_r"](np.linspace(0.1, 0.9, len(RISK_CLASSES))), strict=True)
)
_OTHER_COLOUR = "#7f7f7f"
_LABEL_CHARS = 34  # of a customer's name on the exposures plot


def _euros(ax) -> None:
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")


def open_by_class_figure(ageing: pd.DataFrame) -> bytes:
    """Open amount per risk class (the classes I-V always, other buckets when they hold any),
    stacked by ageing bucket from not due (green) to the longest overdue (red)."""
    stages = [c for c in ageing.columns if c != "total"]
    shown = ageing.loc[[b for b in ageing.index if b in RISK_CLASSES or ageing.at[b, "total"] > 0]]
    colours = colormaps["RdYlGn_r"](np.linspace(0.05, 0.95, len(stages)))
    fig = Figure(figsize=(8, 4.2))
    ax = fig.subplots()
    x = np.arange(len(shown))
    bottom = np.zeros(len(shown))
    for stage, colour in zip(stages, colours, strict=True):
        values = shown[stage].to_numpy(dtype=float)
        ax.bar(x, values, bottom=bottom, color=colour, label=stage, width=0.7)
        bottom += values
    ax.set_xticks(x, list(shown.index), rotation=30, ha="right")
    ax.set(ylabel="open amount (EUR)", title="Open amount by risk class and days overdue")
    _euros(ax)
    ax.legend(title="days overdue", fontsize=8, title_fontsize=8)
    return to_png(fig)


def expected_loss_figure(by_class: pd.DataFrame, term_structure: bool) -> bytes:
    """Expected loss per risk class I-V: 12-month probability x open amount, and beside it the
    probability over each invoice's remaining term (when the scores carry a term structure)."""
    classes = by_class.loc[list(RISK_CLASSES)]
    fig = Figure(figsize=(8, 4.2))
    ax = fig.subplots()
    x = np.arange(len(classes))
    width = 0.38 if term_structure else 0.7
    colours = [_CLASS_COLOURS[c] for c in classes.index]
    twelve = classes["expected_loss_12m"].to_numpy(dtype=float)
    ax.bar(
        x - (width / 2 if term_structure else 0), twelve, width, color=colours, label="12 months"
    )
    if term_structure:
        term = classes["expected_loss_term"].to_numpy(dtype=float)
        ax.bar(
            x + width / 2,
            term,
            width,
            color=colours,
            hatch="//",
            edgecolor="white",
            label="remaining term",
        )
    ax.set_xticks(x, list(classes.index))
    ax.set(xlabel="risk class", ylabel="expected loss (EUR)", title="Expected loss by risk class")
    _euros(ax)
    ax.legend(fontsize=8)
    return to_png(fig)


def top_exposures_figure(top: pd.DataFrame) -> bytes:
    """The largest exposures: open amount per customer, coloured by its risk class (grey
    outside the classes)."""
    rows = top.iloc[::-1]
    labels = [
        f"{code} {name[:_LABEL_CHARS]}".strip()
        for code, name in zip(rows["registry_code"], rows["name"], strict=True)
    ]
    colours = [_CLASS_COLOURS.get(c, _OTHER_COLOUR) for c in rows["risk_class"]]
    fig = Figure(figsize=(8, max(2.5, 0.3 * len(rows) + 1)))
    ax = fig.subplots()
    y = np.arange(len(rows))
    ax.barh(y, rows["open_eur"].to_numpy(dtype=float), color=colours)
    ax.set_yticks(y, labels, fontsize=8)
    for position, klass in zip(y, rows["risk_class"], strict=True):
        ax.annotate(
            klass, (0, position), xytext=(3, 0), textcoords="offset points", va="center", fontsize=7
        )
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.set(xlabel="open amount (EUR)", title="Largest exposures")
    return to_png(fig)
