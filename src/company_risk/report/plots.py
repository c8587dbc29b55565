"""The report's figures, as PNG bytes ready to embed.

Each function takes plain arrays/DataFrames and returns PNG bytes; nothing is written to disk,
and the HTML embeds the bytes as base64 so the report is one file that opens offline. Figures
are plain `matplotlib.figure.Figure` objects rendered by their own canvas, never through pyplot's
global state (so no backend is chosen and nothing leaks into a notebook's display), and saved
without the PNG's software metadata, so the same inputs give the same bytes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from company_risk.metrics import calibration_points, pr_points, roc_points
from company_risk.png import to_png
from company_risk.schemas import family_of


def roc_figure(curves: dict[str, pd.DataFrame], title: str) -> bytes:
    """ROC curves; `curves` maps a legend label to a frame with label and probability."""
    fig = Figure(figsize=(6, 5))
    ax = fig.subplots()
    for name, frame in curves.items():
        points = roc_points(frame["label"].to_numpy(), frame["probability"].to_numpy())
        ax.plot(points["fpr"], points["tpr"], label=name, linewidth=1.4)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8, label="chance")
    ax.set(
        xlabel="false positive rate",
        ylabel="true positive rate",
        title=title,
        xlim=(0, 1),
        ylim=(0, 1.01),
    )
    ax.legend(fontsize=7, loc="lower right")
    return to_png(fig)


def pr_figure(curves: dict[str, pd.DataFrame], title: str) -> bytes:
    """Precision-recall curves, with the default rate (a no-skill model's precision) drawn."""
    fig = Figure(figsize=(6, 5))
    ax = fig.subplots()
    base_rate = None
    for name, frame in curves.items():
        points = pr_points(frame["label"].to_numpy(), frame["probability"].to_numpy())
        ax.plot(points["recall"], points["precision"], label=name, linewidth=1.4)
        base_rate = float(frame["label"].mean())
    if base_rate is not None:
        ax.axhline(
            base_rate,
            linestyle="--",
            color="grey",
            linewidth=0.8,
            label=f"default rate {base_rate:.1%}",
        )
    ax.set(xlabel="recall", ylabel="precision", title=title, xlim=(0, 1), ylim=(0, 1.01))
    ax.legend(fontsize=7, loc="upper right")
    return to_png(fig)


def calibration_figure(curves: dict[str, pd.DataFrame], title: str) -> bytes:
    """Observed default rate against mean predicted probability per decile of predictions."""
    fig = Figure(figsize=(6, 5))
    ax = fig.subplots()
    top = 0.0
    for name, frame in curves.items():
        points = calibration_points(frame["label"].to_numpy(), frame["probability"].to_numpy())
        ax.plot(points["predicted"], points["observed"], marker="o", label=name, linewidth=1.2)
        top = max(top, float(points[["predicted", "observed"]].to_numpy().max()))
    top = min(1.0, top * 1.1 + 0.01)
    ax.plot(
        [0, top], [0, top], linestyle="--", color="grey", linewidth=0.8, label="perfect calibration"
    )
    ax.set(
        xlabel="mean predicted probability",
        ylabel="observed default rate",
        title=title,
        xlim=(0, top),
        ylim=(0, top),
    )
    ax.legend(fontsize=7, loc="upper left")
    return to_png(fig)


def importance_figure(importance: pd.DataFrame, top: int, title: str) -> bytes:
    """Horizontal bars of the `top` most important features (feature, importance)."""
    shown = (
        importance.sort_values("importance", ascending=False, kind="stable").head(top).iloc[::-1]
    )
    fig = Figure(figsize=(7, 0.3 * len(shown) + 1.2))
    ax = fig.subplots()
    colours = [_family_colour(f) for f in shown["feature"]]
    ax.barh(shown["feature"], shown["importance"], color=colours)
    ax.set(xlabel="importance", title=title)
    ax.tick_params(axis="y", labelsize=7)
    return to_png(fig)


def comparison_figure(table: pd.DataFrame, metric: str, label: str, title: str) -> bytes:
    """Grouped bars: test `metric` per model (groups) and feature set (bars), with the 95 %
    interval as error bars where there is one."""
    models = list(dict.fromkeys(table["model"]))
    sets = list(dict.fromkeys(table["feature_set"]))
    width = 0.8 / max(len(sets), 1)
    fig = Figure(figsize=(max(6, 1.2 * len(models) + 2), 4.5))
    ax = fig.subplots()
    x = np.arange(len(models))
    for i, feature_set in enumerate(sets):
        part = table.loc[table["feature_set"] == feature_set].set_index("model").reindex(models)
        value = part[f"test_{metric}"].to_numpy(dtype=float)
        low = part[f"test_{metric}_low"].to_numpy(dtype=float)
        high = part[f"test_{metric}_high"].to_numpy(dtype=float)
        # the bar is the logged figure, the interval the bootstrap's: a skewed resample can
        # leave the figure just outside it, and matplotlib refuses a negative error bar
        errors = np.clip(
            np.vstack([np.nan_to_num(value - low), np.nan_to_num(high - value)]), 0, None
        )
        ax.bar(
            x + (i - (len(sets) - 1) / 2) * width,
            value,
            width,
            yerr=errors,
            capsize=2,
            label=feature_set,
            color=_set_colour(feature_set),
        )
    ax.set_xticks(x, models, rotation=20, ha="right", fontsize=8)
    ax.set(ylabel=label, title=title)
    if metric in ("roc_auc",):
        ax.axhline(0.5, linestyle="--", color="grey", linewidth=0.8)
        ax.set_ylim(0.4, 1.0)
    ax.legend(fontsize=7, ncols=len(sets))
    return to_png(fig)


def population_figure(summary: pd.DataFrame, title: str) -> bytes:
    """Population per snapshot (bars) and 12-month default rate (line), split parts shaded."""
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    dates = pd.to_datetime(summary["snapshot_date"])
    colours = {"train": "#9ecae1", "gap": "#d9d9d9", "validation": "#fdae6b", "test": "#a1d99b"}
    spacing = (
        float(np.median(np.diff(dates.to_numpy()).astype("timedelta64[D]").astype(float)))
        if len(dates) > 1
        else 30.0
    )
    ax.bar(
        dates,
        summary["population"],
        width=0.8 * spacing,
        color=[colours.get(p, "#d9d9d9") for p in summary["part"]],
    )
    ax.set(ylabel="companies in the population", title=title)
    rate_ax = ax.twinx()
    rate_ax.plot(dates, summary["default_rate"] * 100, color="#b2182b", marker=".", linewidth=1.2)
    rate_ax.set_ylabel("12-month default rate, %", color="#b2182b")
    handles = [Rectangle((0, 0), 1, 1, color=c) for c in colours.values()]
    ax.legend(handles, list(colours), fontsize=7, loc="upper left")
    return to_png(fig)


def risk_class_figure(table: pd.DataFrame, title: str) -> bytes:
    """Share of test rows per risk class (bars) and observed vs mean predicted default rate."""
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    x = np.arange(len(table))
    ax.bar(x, table["share"] * 100, color="#9ecae1", label="share of rows, %")
    ax.set_xticks(x, table["risk_class"])
    ax.set(xlabel="risk class", ylabel="share of test rows, %", title=title)
    rate_ax = ax.twinx()
    rate_ax.plot(
        x, table["observed_rate"] * 100, color="#b2182b", marker="o", label="observed default rate"
    )
    rate_ax.plot(
        x,
        table["mean_probability"] * 100,
        color="#4d4d4d",
        marker="x",
        linestyle="--",
        label="mean predicted",
    )
    rate_ax.set_ylabel("default rate, %")
    rate_ax.legend(fontsize=7, loc="upper left")
    return to_png(fig)


def _family_colour(feature: str) -> str:
    return _set_colour(family_of(feature) or "")


SET_COLOURS = {"graph": "#6a51a3", "tax": "#d94801", "descriptive": "#2171b5", "all": "#238b45"}


def _set_colour(feature_set: str) -> str:
    return SET_COLOURS.get(feature_set, "#737373")
