"""What each addition to the network features gains: one fixed model per feature variant.

The graph family began with sixteen features (board size and churn, the members' other boards,
degree, linked and defaulted companies, tax debtors among them, PageRank, component size,
closeness); the research added the groups of `GRAPH_ADDITIONS`. The ablation fits one fixed,
fast and deterministic model per variant of the feature columns:

- `base`: every feature column of the table except the additions' (tax, descriptive and the
  original graph features);
- the base plus one addition, for each addition the table holds;
- `all`: every feature column.

Each variant is fitted on the same training rows (the `models.max_train_rows` stratified
subsample of the split's training part), calibrated on the validation rows (sigmoid, which
keeps the ranking) and scores the test rows; the result is one table, the test rows' keys and
label and one probability column per variant, named by it, the base first and `all` last
(artifacts.ABLATION). The report compares each variant with the base by a paired company
bootstrap (company_risk.report.ablation); nothing is chosen from the test rows here.

The model is the project's XGBoost pipeline (candidates.fit_pipeline: median imputation with
missing-value indicators, one-hot categoricals, `scale_pos_weight` for the imbalance) at the
fixed `SETTINGS`, no search: on the default world's capped training rows about a second per
variant on one core, the same probabilities for the same input. The logistic regression was
tried first and left: there its lbfgs fit takes hundreds of iterations (about five seconds per
variant on one core), and, linear in the quantile-scaled features, it moved the test ROC-AUC by
less than 0.001 for every addition; trees can use a share that matters only above some level,
or a NaN that means "no neighbours", as the grid's tree models do.

The groups are defined here, in the stage that uses them (train never imports the features
stage); tests/test_ablation.py keeps them and features.graph.FEATURES in step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from company_risk.config import ModelsConfig
from company_risk.errors import CompanyRiskError
from company_risk.schemas import FEATURE_KEYS, LABEL, feature_columns
from company_risk.train import candidates as cand
from company_risk.train.split import TemporalSplit, stratified_subsample

# the research's additions to the graph family, each judged alone on top of the base
GRAPH_ADDITIONS: dict[str, tuple[str, ...]] = {
    "eccentricity": ("graph__eccentricity",),
    "defaulted PageRank": ("graph__defaulted_pagerank",),
    "failed-neighbour shares": ("graph__failed_neighbours_1hop", "graph__failed_neighbours_2hop"),
    "liquidator exposure": ("graph__liquidator_wound_up",),
    "legal-person links": ("graph__legal_links", "graph__legal_linked_defaulted"),
    "ties per role family": tuple(
        f"graph__ties_{family}"
        for family in (
            "supervisory",
            "procurator",
            "partner",
            "shareholder",
            "liquidator",
            "trustee",
        )
    ),
}
BASE = "base"
ALL = "all"
MODEL = "xgboost"
# fixed, no search; no row or column subsampling, so two variants differ by their columns alone
SETTINGS = {
    "n_estimators": 100,
    "max_depth": 4,
    "learning_rate": 0.1,
    "min_child_weight": 5,
    "subsample": 1.0,
    "colsample_bytree": 1.0,
}
CALIBRATION = "sigmoid"  # monotone: the variants' rankings are the fitted models' own


class AblationError(CompanyRiskError, ValueError):
    """The table gives no ablation: no addition to judge, or no base to judge it against."""


@dataclass(frozen=True)
class Variant:
    """A variant's name (a column of the predictions table) and its feature columns, in table
    order."""

    name: str
    columns: list[str]


def variants(columns, additions: dict[str, tuple[str, ...]] = GRAPH_ADDITIONS) -> list[Variant]:
    """The base, the base plus each addition the table holds (in `additions` order), all.

    An AblationError names the problem when no addition's column is in the table (nothing to
    judge) or every feature column is an addition's (no base)."""
    features = feature_columns(columns, "all")
    added = {c for group in additions.values() for c in group}
    base = [c for c in features if c not in added]
    present = {name: set(group) & set(features) for name, group in additions.items()}
    present = {name: group for name, group in present.items() if group}
    if not present:
        raise AblationError(
            "the features table holds none of the network additions "
            f"({', '.join(sorted(added))}): nothing to ablate"
        )
    if not base:
        raise AblationError("every feature column is a network addition: the base is empty")
    out = [Variant(BASE, base)]
    for name, group in present.items():
        out.append(Variant(name, [c for c in features if c not in added or c in group]))
    out.append(Variant(ALL, features))
    return out


def fit_ablation(table: pd.DataFrame, split: TemporalSplit, cfg: ModelsConfig) -> pd.DataFrame:
    """The test rows' company_id, snapshot_date and label, then one probability column per
    variant (`variants`), each from the fixed model fitted on the same capped training rows
    (`cfg.max_train_rows`, stratified with `cfg.seed`) and calibrated on the validation rows.

    `table` is the train stage's validated features table and `split` its split; the same
    input gives the same table."""
    found = variants(table.columns)
    train, val, test = (table.iloc[rows] for rows in (split.train, split.validation, split.test))
    y_train, y_val = train[LABEL].to_numpy(), val[LABEL].to_numpy()
    rows = stratified_subsample(y_train, cfg.max_train_rows, cfg.seed)
    out = test[[*FEATURE_KEYS, LABEL]].reset_index(drop=True)
    for variant in found:
        try:
            fitted = cand.fit_pipeline(
                MODEL,
                SETTINGS,
                train.iloc[rows],
                y_train[rows],
                variant.columns,
                cfg.seed,
                cfg.n_jobs,
            )
        except cand.CandidateError as exc:
            raise AblationError(f"ablation variant {variant.name!r}: {exc}") from exc
        served = cand.calibrate(fitted, val, y_val, CALIBRATION)
        out[variant.name] = served.predict_proba(test[variant.columns])[:, 1].astype(np.float64)
    return out
