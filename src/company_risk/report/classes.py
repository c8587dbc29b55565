"""Risk classes I–V on the test snapshots: how many companies fall in each, and how many of them
actually defaulted.

The daily job turns a probability into a class with the cut-offs in `params.yaml`
(`scoring.risk_classes`); a credit manager trusts the classes only if the observed default rate
rises from class to class. The report checks exactly that on the held-out test snapshots.

The classes are `company_risk.schemas.RISK_CLASSES`, and `config.ScoringConfig` checks, when
params.yaml is loaded, that the cut-offs are one fewer and strictly increasing probabilities;
the functions here take those checked cut-offs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from company_risk.schemas import RISK_CLASSES


def assign_classes(probability: np.ndarray, cutoffs: tuple[float, ...]) -> np.ndarray:
    """Class name per probability (`scoring.risk_classes` cut-offs): below the first cut-off is
    I, at or above the last is V."""
    cuts = np.asarray(cutoffs, dtype=float)
    return np.asarray(RISK_CLASSES)[
        np.searchsorted(cuts, np.asarray(probability, dtype=float), side="right")
    ]


def class_ranges(cutoffs: tuple[float, ...]) -> list[str]:
    edges = [0.0, *cutoffs, 1.0]
    return [
        f"[{edges[i]:.0%}, {edges[i + 1]:.0%})" if i < len(cutoffs) else f"[{edges[i]:.0%}, 100%]"
        for i in range(len(edges) - 1)
    ]


def class_table(frame: pd.DataFrame, cutoffs: tuple[float, ...]) -> pd.DataFrame:
    """Per class: probability range, rows, share of rows, defaults, observed default rate and
    mean predicted probability (label, probability in `frame`). Empty classes are kept, with
    NaN rates, so the table always shows all five."""
    classes = assign_classes(frame["probability"].to_numpy(), cutoffs)
    grouped = frame.assign(risk_class=classes).groupby("risk_class")
    rows = grouped.size().reindex(RISK_CLASSES, fill_value=0)
    defaults = grouped["label"].sum().reindex(RISK_CLASSES, fill_value=0)
    mean_p = grouped["probability"].mean().reindex(RISK_CLASSES)
    out = pd.DataFrame(
        {
            "risk_class": list(RISK_CLASSES),
            "probability range": class_ranges(cutoffs),
            "rows": rows.to_numpy().astype("int64"),
            "share": rows.to_numpy() / max(len(frame), 1),
            "defaults": defaults.to_numpy().astype("int64"),
            "observed_rate": np.where(
                rows.to_numpy() > 0, defaults.to_numpy() / np.maximum(rows.to_numpy(), 1), np.nan
            ),
            "mean_probability": mean_p.to_numpy(),
        }
    )
    return out


def is_monotone(table: pd.DataFrame) -> bool:
    """Whether the observed default rate never falls from one non-empty class to the next."""
    rates = table.loc[table["rows"] > 0, "observed_rate"].to_numpy()
    return bool(np.all(np.diff(rates) >= 0))
