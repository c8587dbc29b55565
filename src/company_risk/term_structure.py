"""The term structure: default probabilities within 3, 6 and 9 months beside the 12-month one.

Only the 12-month model is trained on the features; each shorter horizon h is read off its
probability p12 by a two-coefficient logistic calibration,

    c_h(p12) = sigmoid(a_h + b_h * logit(p12)),

fitted by maximum likelihood on the validation snapshots' `label_<h>m` (where the 12-month
calibration is fitted too, so the test snapshots stay held out), then made monotone by
construction: from the shortest horizon up,

    pd_h = min(p12, max(pd_h', c_h(p12)))    (h' the next shorter horizon; none for the first)

so pd_3 <= pd_6 <= pd_9 <= p12 on any input, whatever the coefficients.

Why this design: a default within 3 months is also a default within 12, so the horizons must
not cross, and a separate classifier per horizon (three more grids) would rank the companies
differently and could cross anywhere. Sharing the champion's ranking keeps one model to
explain; the slope b_h lets the short horizons concentrate on the riskiest companies (whose
defaults come sooner, b_h > 1) instead of being a fixed share of p12; two numbers per horizon
are cheap to fit on the few short-horizon defaults of a validation set, and travel as plain
numbers with the champion (`champion.json`, the registered version's tag `TAG`). The running
max and the cap only bind where the fitted curves cross, which the data rarely asks for.

Pure functions over arrays; reading and writing is the callers' (train writes, scoring applies).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from company_risk.errors import CompanyRiskError

TAG = "term_structure"  # the registered version's tag holding `TermStructure.to_dict` as JSON
EPS = 1e-9  # probabilities are clipped to [EPS, 1 - EPS] before the logit
_MAX_ITER = 100
_TOL = 1e-10


class TermStructureError(CompanyRiskError, ValueError):
    """A term structure that cannot be fitted (a horizon with one class, misaligned inputs) or a
    serialised one that is not in the shape `TermStructure.from_dict` reads."""


@dataclass(frozen=True)
class HorizonFit:
    """The calibration of one shorter horizon: pd = sigmoid(intercept + slope * logit(p12))."""

    months: int
    intercept: float
    slope: float


@dataclass(frozen=True)
class TermStructure:
    """The shorter horizons (ascending, each below `base_months`) and their calibrations."""

    base_months: int  # the horizon of the probability it is applied to (the 12-month label)
    horizons: tuple[HorizonFit, ...]
    rows: int = 0  # validation rows it was fitted on (for the record)

    def __post_init__(self) -> None:
        months = [h.months for h in self.horizons]
        if not months:
            raise TermStructureError("a term structure needs at least one shorter horizon")
        if any(a >= b for a, b in itertools.pairwise(months)) or months[0] < 1:
            raise TermStructureError(f"horizons {months} are not increasing positive months")
        if months[-1] >= self.base_months:
            raise TermStructureError(
                f"horizon {months[-1]} is not shorter than the base horizon {self.base_months}"
            )
        for h in self.horizons:
            if not (math.isfinite(h.intercept) and math.isfinite(h.slope)):
                raise TermStructureError(f"the {h.months}-month coefficients are not finite")

    @property
    def months(self) -> tuple[int, ...]:
        return tuple(h.months for h in self.horizons)

    def apply(self, p12: np.ndarray | Sequence[float]) -> dict[int, np.ndarray]:
        """months -> probability of default within that many months, for each shorter horizon,
        monotone by construction (see the module docstring). NaN in, NaN out."""
        p = np.asarray(p12, dtype=float)
        x = _logit(p)
        out: dict[int, np.ndarray] = {}
        floor = None
        for h in self.horizons:
            raw = _sigmoid(h.intercept + h.slope * x)
            raised = raw if floor is None else np.fmax(floor, raw)
            value = np.where(np.isnan(p), np.nan, np.minimum(p, raised))
            out[h.months] = value
            floor = value
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "base_months": self.base_months,
            "rows": self.rows,
            "horizons": [
                {"months": h.months, "intercept": h.intercept, "slope": h.slope}
                for h in self.horizons
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Any, where: str = "term structure") -> TermStructure:
        if not isinstance(data, Mapping):
            raise TermStructureError(f"{where}: expected a mapping, got {type(data).__name__}")
        try:
            base = data["base_months"]
            horizons = data["horizons"]
            rows = data.get("rows", 0)
            if not isinstance(horizons, list) or not all(isinstance(h, Mapping) for h in horizons):
                raise TypeError("`horizons` is not a list of mappings")
            for value in (base, rows, *(h["months"] for h in horizons)):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError(f"{value!r} is not a whole number")
            fits = tuple(
                HorizonFit(int(h["months"]), _number(h["intercept"]), _number(h["slope"]))
                for h in horizons
            )
            return cls(int(base), fits, int(rows))
        except KeyError as exc:
            raise TermStructureError(f"{where}: no `{exc.args[0]}`") from None
        except (TypeError, ValueError) as exc:
            raise TermStructureError(f"{where}: {exc}") from None

    @classmethod
    def from_json(cls, text: str, where: str = "term structure") -> TermStructure:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TermStructureError(f"{where}: not valid JSON ({exc})") from None
        return cls.from_dict(data, where)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{value!r} is not a number")
    return float(value)


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, EPS, 1 - EPS)
    return np.log(q) - np.log1p(-q)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # the two branches avoid overflow of exp for large |z|
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def fit_horizon(months: int, p12: np.ndarray, y: np.ndarray) -> HorizonFit:
    """Maximum-likelihood logistic fit of `y` (0/1, default within `months`) on logit(p12), by
    Newton's method with step halving (deterministic, no regularisation)."""
    p = np.asarray(p12, dtype=float)
    y = np.asarray(y)
    if len(p) != len(y):
        raise TermStructureError(f"{len(p)} probabilities but {len(y)} {months}-month labels")
    if not np.all(np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise TermStructureError("the 12-month probabilities must be finite and in [0, 1]")
    if not np.isin(y, (0, 1)).all():
        raise TermStructureError(f"the {months}-month labels must be 0 or 1")
    y = y.astype(float)
    positives = int(y.sum())
    if positives in (0, len(y)):
        raise TermStructureError(
            f"the {months}-month label has a single class in all {len(y)} rows "
            f"({positives} defaults): its calibration cannot be fitted"
        )
    X = np.column_stack([np.ones_like(p), _logit(p)])
    rate = positives / len(y)
    beta = np.array([math.log(rate / (1 - rate)), 0.0])  # start at the base rate

    def loss(b: np.ndarray) -> float:
        z = X @ b
        return float(np.sum(np.logaddexp(0.0, z) - y * z))

    current = loss(beta)
    for _ in range(_MAX_ITER):
        mu = _sigmoid(X @ beta)
        gradient = X.T @ (mu - y)
        hessian = X.T @ (X * (mu * (1 - mu))[:, None])
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        scale = 1.0
        while scale > 1e-8:
            trial = beta - scale * step
            value = loss(trial)
            if value <= current:
                break
            scale /= 2
        else:
            break
        done = abs(current - value) <= _TOL * (1 + abs(current))
        beta, current = trial, value
        if done:
            break
    if not np.all(np.isfinite(beta)):
        raise TermStructureError(f"the {months}-month calibration did not converge")
    return HorizonFit(int(months), float(beta[0]), float(beta[1]))


def fit_term_structure(
    p12: np.ndarray, labels: Mapping[int, np.ndarray], base_months: int
) -> TermStructure:
    """A calibration per shorter horizon (`labels`: months -> 0/1 labels aligned with `p12`)."""
    fits = tuple(fit_horizon(h, p12, labels[h]) for h in sorted(labels))
    return TermStructure(int(base_months), fits, len(np.asarray(p12)))
