"""The master scale on the test snapshots: the champion's risk classes I–V and the statistics
that validate them (company_risk.master_scale computes them; this module feeds it the logged
predictions).

The daily job turns a probability into a class with the cut-offs in `params.yaml`
(`scoring.risk_classes`); a credit manager trusts the classes only if each class's PD holds
against the defaults observed in it and the observed default rate rises from class to class.
The report checks both on the held-out test snapshots: per class the Jeffreys and binomial
tests with their traffic lights, the concentration of the classes (Herfindahl), the calibration
overall and by class, the monotonicity test between adjacent classes, the migration between
consecutive snapshots, and whether the champion has too few distinct scores to fill a scale.

The classes are `company_risk.schemas.RISK_CLASSES`, and `config.ScoringConfig` checks, when
params.yaml is loaded, that the cut-offs are one fewer and strictly increasing probabilities;
the functions here take those checked cut-offs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from company_risk import master_scale as ms


def assign_classes(probability: np.ndarray, cutoffs: tuple[float, ...]) -> np.ndarray:
    """Class name per probability (`scoring.risk_classes` cut-offs): below the first cut-off is
    I, at or above the last is V (master_scale.class_names)."""
    return ms.class_names(probability, cutoffs)


def class_ranges(cutoffs: tuple[float, ...]) -> list[str]:
    edges = [0.0, *cutoffs, 1.0]
    return [
        f"[{edges[i]:.0%}, {edges[i + 1]:.0%})" if i < len(cutoffs) else f"[{edges[i]:.0%}, 100%]"
        for i in range(len(edges) - 1)
    ]


def class_table(frame: pd.DataFrame, cutoffs: tuple[float, ...]) -> pd.DataFrame:
    """Per class (label, probability in `frame`): its probability range and
    master_scale.scale_table's columns (rows, share, defaults, observed rate, mean predicted
    probability, their difference, the Jeffreys and binomial p-values and traffic lights).
    Empty classes are kept, with NaN rates, so the table always shows all five."""
    table = ms.scale_table(frame["probability"].to_numpy(), frame["label"].to_numpy(), cutoffs)
    table.insert(1, "probability range", class_ranges(cutoffs))
    return table


def is_monotone(table: pd.DataFrame) -> bool:
    """Whether the observed default rate never falls from one non-empty class to the next (as
    observed; `master_scale.monotonicity_tests` says whether a fall exceeds sampling noise)."""
    rates = table.loc[table["rows"] > 0, "observed_rate"].to_numpy()
    return bool(np.all(np.diff(rates) >= 0))


def migration(frame: pd.DataFrame, cutoffs: tuple[float, ...]) -> ms.Migration | None:
    """The class migration between consecutive snapshots of the same companies in `frame`
    (company_id, snapshot_date, probability), or None when it holds no company at two
    consecutive snapshots."""
    if not {"company_id", "snapshot_date"} <= set(frame.columns):
        return None
    found = ms.migration_matrix(frame, cutoffs)
    return found if found.pairs else None
