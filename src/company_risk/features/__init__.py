"""Features: point-in-time graph, tax and descriptive features and the 12-month label.

Modules by concern: `tables` (reading and checking the interim history tables), `registry`
(the one list of feature definitions), `population` (who is scored at t), `labels`, one module
per family (`graph`, `tax`, `descriptive`), `build` (snapshot dates and the assembled table)
and `catalogue` (the feature catalogue generated from the registry).
"""

from company_risk.errors import CompanyRiskError


class FeatureError(CompanyRiskError, ValueError):
    """The history tables or the requested dates cannot give a valid features table."""


__all__ = ["FeatureError"]
