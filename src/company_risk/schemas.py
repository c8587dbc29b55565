"""Column contracts of the history tables in `data/interim/` and of `features.parquet`.

`ingest` writes these tables, `features` reads them; both sides check against these lists so a
mismatch fails loudly at the boundary instead of deep inside a feature. Dates are
`datetime64[us]` (pandas 3's default resolution, day precision in practice); an open interval end
is NaT. Every table carries the date each fact was first *published* (the drop it first appeared
in), because the point-in-time rule needs it: a fact is visible at t only if published by t.
"""

from __future__ import annotations

import re

# company_id: the register's 8-digit code, ASCII digits only (`\d` would also take other
# scripts' digits); the API, the watchlists and the card check a code with this one rule
REGISTRY_CODE_PATTERN = r"^[0-9]{8}$"
REGISTRY_CODE = re.compile(REGISTRY_CODE_PATTERN)

# table name -> {column: dtype}
INTERIM_TABLES: dict[str, dict[str, str]] = {
    # One row per company and version of its register attributes (slowly changing dimension):
    # a new row starts on the drop where any attribute changed. Deleted companies keep their rows.
    "companies": {
        "company_id": "str",  # 8-digit registry code
        "valid_from": "datetime64[us]",  # drop date this version was first seen
        "valid_to": "datetime64[us]",  # drop date it was replaced or the company vanished; NaT open
        "name": "str",  # company name (not personal data)
        "legal_form": "str",  # e.g. "Osaühing"
        "legal_form_subtype": "str",
        "vat_number": "str",  # "" when not VAT-registered
        "first_registered": "datetime64[us]",  # ettevotja_esmakande_kpv
        "ehak_code": "str",
        "county": "str",  # maakond derived from the EHAK text
        "legal_form_code": "str",  # short code of the general data: OÜ, AS, FIE, MTÜ, ...
        "emtak_code": "str",  # main activity (on_pohitegevusala) valid at the drop date
        "emtak_version": "int64",  # 2 = EMTAK 2008 (NACE Rev. 2), 3 = EMTAK 2025 (Rev. 2.1); 0 none
        "nace_code": "str",  # e.g. "62.10", as the register gives it
        "sector": "str",  # section letter under the code's own classification version
        "capital": "float64",  # share capital valid at the drop date, in its currency
    },
    # Status intervals from the general-data JSON status history, plus a `K` interval from the
    # first drop a company is missing from when the JSON did not already say so.
    "status_history": {
        "company_id": "str",
        "status": "str",  # R L N K
        "valid_from": "datetime64[us]",
        "valid_to": "datetime64[us]",  # NaT = current
        "published_on": "datetime64[us]",  # first drop showing this status
    },
    # Board and other card roles, one row per person-company-role tenure. The file lists only
    # current holders, so end_date is the first drop where the person is gone.
    "board_roles": {
        "company_id": "str",
        "person_id": "str",  # a pseudonymous key (formats.PERSON_KINDS); never a name or code
        "person_type": "str",  # natural | foreign_natural | legal | foreign_legal
        "role": "str",  # JUHL, JUHA, PROK, LIKV, PANKR, TOSAN, ARP, ... (unknown codes kept)
        "start_date": "datetime64[us]",  # algus_kpv
        "end_date": "datetime64[us]",  # first drop without the person; NaT = current
        "published_on": "datetime64[us]",  # first drop listing the tenure
    },
    # One row per company on each day's tax-debtor list; absent = no listed debt that day.
    "tax_debts": {
        "company_id": "str",
        "as_of": "datetime64[us]",  # Andmed on seisuga
        "debt": "float64",
        "disputed": "float64",
        "scheduled": "float64",
        "schedule_end": "datetime64[us]",
        "oldest_due": "datetime64[us]",
    },
    # The days a tax-debtor list was ingested (so "absent from the list" can be told apart from
    # "no list that day").
    "tax_debt_lists": {
        "as_of": "datetime64[us]",
        "n_debtors": "int64",
    },
    # One row per annual report, financial elements pivoted wide (NaN where not reported).
    "annual_reports": {
        "report_id": "str",
        "filled_report_id": "str",  # taidetud_aruanne_report_id ("" when none): elements' key
        "company_id": "str",
        "fiscal_year": "int64",
        "period_start": "datetime64[us]",
        "period_end": "datetime64[us]",
        "submitted_on": "datetime64[us]",  # esitatud_kpv
        "published_on": "datetime64[us]",  # first drop containing the report
        "audited": "bool",
        "consolidated": "bool",
        "category": "str",  # valitud aruanne kategooria (micro, small, medium, large)
        "audit_engagement": "str",  # auditi töövõtu liik ("" when none)
        "auditor_opinion": "str",  # audiitori otsuse tüüp
        "emphasis_of_matter": "str",  # the auditor's modifications ("" when none) ...
        "other_matter": "str",
        "going_concern": "str",  # ... a going-concern modification is itself a risk signal
        "audit_firm": "str",  # registry code of the audit firm
        "revenue": "float64",
        "net_profit": "float64",
        "equity": "float64",
        "assets": "float64",
        "current_assets": "float64",
        "current_liabilities": "float64",
        "non_current_liabilities": "float64",
        "cash": "float64",
        "labour_expense": "float64",
        "employees": "float64",
    },
    # Quarterly taxes paid, turnover and employees (both EMTA format generations).
    "tax_payments": {
        "company_id": "str",
        "year": "int64",
        "quarter": "int64",  # EMTA's quarter 1..4: I = Dec (year - 1) to Feb, ..., IV = Sep-Nov
        "period_start": "datetime64[us]",  # first day of the quarter
        "period_end": "datetime64[us]",  # last day of the quarter
        "state_taxes": "float64",
        "labour_taxes": "float64",
        "turnover": "float64",
        "employees": "float64",
        "published_on": "datetime64[us]",
    },
    # Default events by the label rule: first N, or deletion not preceded by L.
    "defaults": {
        "company_id": "str",
        "default_date": "datetime64[us]",
        "kind": "str",  # "bankrupt" | "deleted"
    },
    # Shareholders (optional input `osanikud`): ownership links, one row per holding.
    "shareholdings": {
        "company_id": "str",
        "person_id": "str",  # as in board_roles
        "person_type": "str",
        "share_percent": "float64",
        "start_date": "datetime64[us]",
        "end_date": "datetime64[us]",  # lopp_kpv, or the first drop without the holding
        "published_on": "datetime64[us]",
    },
    # The registrar's rulings (optional input `maarused`): warnings before compulsory deletion.
    "rulings": {
        "company_id": "str",
        "ruling_no": "str",
        "ruling_date": "datetime64[us]",  # maaruse_kpv
        "kind": "str",  # maaruse_liik_tekstina
        "state": "str",  # maaruse_olek_tekstina
        "deadline": "datetime64[us]",  # lisatahtaeg (NaT when none)
        "published_on": "datetime64[us]",
    },
    # Record-level faults: rows left out of a drop, each with where it was and why. A drop whose
    # share of rejected rows in any file exceeds ingest.max_rejected_share is refused whole.
    "rejected": {
        "drop_date": "datetime64[us]",
        "file": "str",
        "row": "str",  # "row 5 (line 6)" or "item 3"
        "field": "str",
        "value": "str",  # never personal data: only codes, dates and amounts are validated
        "reason": "str",
    },
    # Every file of every applied drop: read (with its family and rows) or not recognised.
    "ingest_files": {
        "drop_date": "datetime64[us]",
        "file": "str",
        "family": "str",  # formats.FILE_FAMILIES name; "" when not recognised
        "status": "str",  # read | not recognised | unsupported | superseded
        "rows": "int64",  # data rows or items read (-1 when not read)
        "note": "str",
    },
    # Which drops were applied, in order, with a checksum of their files.
    "ingest_log": {
        "drop_date": "datetime64[us]",
        "checksum": "str",  # sha256 over the drop's file names and bytes
        "files": "str",  # comma-separated file names
        "n_companies": "int64",
        # sha256 over the files' names, sizes and modification times: while it matches, an
        # applied drop is taken as unchanged without reading its bytes again ("" unknown)
        "fingerprint": "str",
    },
}
# Columns added to a table after histories were written with it: an older table is read, and
# a hand-made one conformed, with this value in the missing column (ingest.store).
ADDED_COLUMNS: dict[str, dict[str, object]] = {"ingest_log": {"fingerprint": ""}}

# The feature families: each name is also the feature set of that family alone (params.yaml
# `models.feature_sets`), and maps to the prefix of its columns in features.parquet.
FEATURE_FAMILIES = {"graph": "graph__", "tax": "tax__", "descriptive": "desc__"}
ALL_FEATURES = "all"  # the feature set of every family together
FEATURE_SET_PREFIXES = {name: (prefix,) for name, prefix in FEATURE_FAMILIES.items()}
FEATURE_SET_PREFIXES[ALL_FEATURES] = tuple(FEATURE_FAMILIES.values())
FEATURE_SETS = tuple(FEATURE_SET_PREFIXES)


def family_of(column: str) -> str | None:
    """The family of a feature column, by its prefix; None for a key or the label."""
    return next((f for f, prefix in FEATURE_FAMILIES.items() if column.startswith(prefix)), None)


# features.parquet: these keys, then `graph__*`, `tax__*`, `desc__*` columns (float64, except the
# categorical `desc__legal_form`, `desc__sector`, `desc__county` which are str), then the labels
# `label_<h>m` of the shorter horizons and `label` (int8 in training mode; absent in single-date
# scoring mode).
FEATURE_KEYS = ("company_id", "snapshot_date")
CATEGORICAL_FEATURES = ("desc__legal_form", "desc__sector", "desc__county")
LABEL = "label"

# The term structure (`features.horizons_months`, company_risk.term_structure): beside `label`
# (the last and longest horizon, `features.horizon_months`), features.parquet holds one int8
# label per shorter horizon h, `label_<h>m` = 1 iff the default date is in (t, t + h months];
# the daily scores hold its probability `pd_<h>m`, and reports/metrics.json its test figures
# `pd_<h>m_<metric>` (HORIZON_METRICS, for the longest horizon too).
_HORIZON_LABEL = re.compile(r"label_([1-9][0-9]*)m")
HORIZON_METRICS = ("roc_auc", "pr_auc", "brier", "mean_predicted", "observed_rate")


def horizon_label(months: int) -> str:
    """features.parquet's label column of a shorter horizon: `label_3m`."""
    return f"label_{int(months)}m"


def horizon_label_months(columns) -> tuple[int, ...]:
    """The shorter horizons a table has a `label_<h>m` column for, ascending."""
    found = (_HORIZON_LABEL.fullmatch(str(c)) for c in columns)
    return tuple(sorted(int(m.group(1)) for m in found if m))


def horizon_probability(months: int) -> str:
    """The daily scores' probability column of a shorter horizon: `pd_3m`."""
    return f"pd_{int(months)}m"


def horizon_metric(months: int, metric: str) -> str:
    """reports/metrics.json's key of one horizon's test figure: `pd_3m_roc_auc`."""
    return f"{horizon_probability(months)}_{metric}"


# The metrics every training run computes (company_risk.metrics) and logs as `val_<m>` and `test_<m>`;
# the report reads them back and `selection.metric` names one of them.
METRIC_NAMES = (
    "roc_auc",
    "pr_auc",
    "gini",
    "ks",
    "brier",
    "log_loss",
    "accuracy",
    "balanced_accuracy",
    "precision_top5",
    "recall_top5",
)

# The daily scores' `risk_class`, from the lowest risk to the highest; `scoring.risk_classes`
# holds the probability cut-offs between them (one fewer).
RISK_CLASSES = ("I", "II", "III", "IV", "V")


def feature_columns(columns, feature_set: str = "all") -> list[str]:
    """The feature columns of a table that belong to one feature set, in table order."""
    prefixes = FEATURE_SET_PREFIXES[feature_set]
    return [c for c in columns if c.startswith(prefixes)]
