"""The oracle: the synthetic world's true 12-month default probabilities, read and joined once.

Only a synthetic world has them (`data/truth/pd.parquet`, written by synth); on real data there
is no truth and every function here is simply not called. Train scores the oracle on its test
rows beside the champion; the report pairs the two in a bootstrap. Both join the truth to the
rows here, so both compare on exactly the same rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from company_risk import metrics as m
from company_risk.artifacts import TRUTH_FILES
from company_risk.errors import CompanyRiskError
from company_risk.schemas import LABEL

KEYS = ["company_id", "snapshot_date"]


class OracleError(CompanyRiskError, ValueError):
    """The truth exists but cannot be compared with the model (no covered rows, one class)."""


def read_truth(truth_dir: Path | None) -> pd.DataFrame | None:
    """The world's true probabilities (company_id, month, pd_12m), or None outside a
    synthetic world."""
    if truth_dir is None:
        return None
    path = Path(truth_dir) / TRUTH_FILES["pd"]
    if not path.exists():
        return None
    try:
        truth = pd.read_parquet(path, columns=["company_id", "month", "pd_12m"])
    except (OSError, ValueError, KeyError) as exc:
        raise OracleError(f"{path}: cannot read the true probabilities ({exc})") from exc
    return truth.astype({"company_id": "str"})


def true_probabilities(rows: pd.DataFrame, truth: pd.DataFrame) -> np.ndarray:
    """The true 12-month default probability of each row (company_id, snapshot_date), in row
    order; NaN where the truth has none."""
    keys = rows[KEYS].astype({"company_id": "str"})
    keyed = truth.rename(columns={"month": "snapshot_date"}).drop_duplicates(KEYS)
    keyed["snapshot_date"] = keyed["snapshot_date"].astype(keys["snapshot_date"].dtype)
    joined = keys.reset_index(drop=True).merge(keyed, on=KEYS, how="left")
    return joined["pd_12m"].to_numpy(dtype=float)


def with_oracle(predictions: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """The rows of `predictions` (company_id, snapshot_date, …) that the truth covers, with
    the true probability of each as `oracle`."""
    oracle = true_probabilities(predictions, truth)
    covered = ~np.isnan(oracle)
    return predictions.assign(oracle=oracle).loc[covered].reset_index(drop=True)


def oracle_metrics(test: pd.DataFrame, truth: pd.DataFrame) -> tuple[dict[str, float], np.ndarray]:
    """ROC-AUC and PR-AUC of the true probabilities on the test rows they cover, and the
    positions of those rows (so the champion is compared on exactly the same rows)."""
    true_p = true_probabilities(test, truth)
    covered = np.flatnonzero(~np.isnan(true_p))
    y = test[LABEL].to_numpy()[covered]
    if len(covered) == 0 or len(np.unique(y)) < 2:
        raise OracleError(
            "the true probabilities cover no test rows with both classes; cannot score the oracle"
        )
    p = true_p[covered]
    full = m.binary_metrics(y, p, m.choose_threshold(y, p))
    return (
        {
            "oracle_test_roc_auc": full["roc_auc"],
            "oracle_test_pr_auc": full["pr_auc"],
            "oracle_test_rows": float(len(covered)),
        },
        covered,
    )
