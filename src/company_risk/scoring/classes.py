"""Risk classes I–V: cut-offs on the 12-month default probability.

The cut-offs, names and credit-policy keywords live in `params.yaml` (`scoring`), so a credit
department can move a boundary without a code change; `config.ScoringConfig` checks, when it is
loaded, that they describe the classes `ROMAN` in order. The assignment itself is
`company_risk.master_scale.class_index`, the one rule the train stage's gate and the report use.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from company_risk import master_scale
from company_risk.config import ScoringConfig
from company_risk.schemas import RISK_CLASSES
from company_risk.scoring import ScoringError

ROMAN = RISK_CLASSES


def class_index(probability: pd.Series | np.ndarray, cfg: ScoringConfig) -> np.ndarray:
    """0..4 for classes I..V; a probability equal to a cut-off falls into the worse class (the
    one rule of company_risk.master_scale, which train's gate and the report use too)."""
    p = np.asarray(probability, dtype=float)
    if np.isnan(p).any():
        raise ScoringError("cannot classify a missing probability")
    return master_scale.class_index(p, cfg.risk_classes)


def class_table(cfg: ScoringConfig) -> pd.DataFrame:
    """One row per class: risk_class, lower and upper bound, name, policy keywords."""
    bounds = [0.0, *cfg.risk_classes, 1.0]
    return pd.DataFrame(
        {
            "risk_class": list(ROMAN),
            "probability_from": bounds[:-1],
            "probability_to": bounds[1:],
            "class_name": list(cfg.class_names),
            "policy": ["; ".join(p) for p in cfg.class_policies],
            "limit_factor": list(cfg.class_limit_factors),
            "payment_term_days": list(cfg.payment_term_days),
        }
    )


def assign_classes(probability: pd.Series, cfg: ScoringConfig) -> pd.DataFrame:
    """risk_class (I..V), class_name and policy for each probability, on its index."""
    idx = class_index(probability, cfg)
    table = class_table(cfg)
    return pd.DataFrame(
        {
            "risk_class": table["risk_class"].to_numpy()[idx],
            "class_name": table["class_name"].to_numpy()[idx],
            "policy": table["policy"].to_numpy()[idx],
        },
        index=probability.index,
    ).astype("str")
