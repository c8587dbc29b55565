"""desc__ family: register attributes, annual-report filing behaviour and financial ratios.

Register attributes come from the `companies` version valid at t (SCD2: versions start on the
drop that first showed them, so a version valid at t was published by t). An annual report is
visible at t only if it was both submitted and published by t: a report for fiscal year 2024
submitted after t does not exist at t, however early its fiscal year ended.

Missing stays missing: a ratio whose denominator is unknown or not positive is NaN, the
financials of a company without a visible report are NaN, and `desc__no_report` flags that case
because not filing is itself a warning sign. The VAT-registration age is counted from the first
drop that showed the current registration, so for a registration older than the first drop it
is a lower bound.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from company_risk import formats as F
from company_risk.config import FeaturesConfig
from company_risk.features.registry import DAYS_PER_MONTH, DAYS_PER_YEAR, define, family_frame

FEATURES = define(
    "descriptive",
    [
        ("age_years", "years since the first registry entry", "years", "company age"),
        ("legal_form", "legal form (e.g. Osaühing)", "category", "legal form"),
        (
            "sector",
            "section of the main activity by its division under NACE Rev. 2 (EMTAK 2008), "
            "whichever version the register codes it in, so a company re-coded to EMTAK 2025 "
            "keeps a comparable sector",
            "category",
            "sector",
        ),
        ("county", "county of the registered address", "category", "county"),
        ("vat_registered", "1 if the company has a VAT number at t", "flag", "VAT registered"),
        (
            "vat_age_years",
            "years since the current VAT registration was first seen (NaN when not registered)",
            "years",
            "years VAT registered",
        ),
        ("capital", "registered share capital", "EUR", "share capital"),
        (
            "reports_due",
            "fiscal years among the last report_lookback_years whose report "
            "deadline passed by t while the company existed",
            "reports",
            "annual reports due",
        ),
        (
            "reports_missing",
            "of those fiscal years, how many have no report visible at t",
            "reports",
            "annual reports missing",
        ),
        (
            "no_report",
            "1 if no annual report at all is visible at t (the report figures below are then NaN)",
            "flag",
            "no annual report on file",
        ),
        (
            "last_report_days_late",
            "days the last visible report was submitted after its deadline (0 if on time)",
            "days",
            "days late of the last annual report",
        ),
        (
            "months_since_last_report",
            "months since the last visible report was submitted",
            "months",
            "months since the last annual report",
        ),
        (
            "going_concern_doubt",
            "1 if the auditor's opinion on the last visible report carries a going-concern "
            "modification (NaN without report)",
            "flag",
            "auditor's going-concern doubt in the last report",
        ),
        ("revenue", "revenue in the last visible report", "EUR", "revenue in the last report"),
        ("assets", "total assets in the last visible report", "EUR", "assets in the last report"),
        (
            "equity_ratio",
            "equity / assets in the last visible report",
            "ratio",
            "equity ratio in the last report",
        ),
        (
            "current_ratio",
            "current assets / current liabilities in the last visible report",
            "ratio",
            "current ratio in the last report",
        ),
        (
            "profit_margin",
            "net profit / revenue in the last visible report",
            "ratio",
            "profit margin in the last report",
        ),
        (
            "revenue_growth",
            "revenue / revenue of the previous fiscal year's visible report - 1",
            "ratio",
            "revenue growth in the last report",
        ),
        (
            "negative_equity",
            "1 if equity in the last visible report is negative",
            "flag",
            "negative equity in the last report",
        ),
    ],
    clocks=("age_years", "vat_age_years", "months_since_last_report"),
)


def versions_at(companies: pd.DataFrame, t: pd.Timestamp) -> pd.DataFrame:
    """The companies version valid at t, one row per company (index company_id)."""
    c = companies
    valid = c.loc[
        ((c["valid_from"] <= t) & (c["valid_to"].isna() | (c["valid_to"] > t))).to_numpy(dtype=bool)
    ]
    valid = valid.sort_values(["company_id", "valid_from"], kind="stable")
    return valid.drop_duplicates("company_id", keep="last").set_index("company_id")


def due_year(t: pd.Timestamp, deadline_months: int) -> int:
    """The latest fiscal (calendar) year whose annual report is overdue at t.

    The one owner of the deadline rule, for these features and for scoring's facts, reasons and
    alerts alike: the report for year Y falls due `deadline_months`
    (`features.report_deadline_months`) after 31 December of Y and is overdue from the day
    after. With 6 months the 2024 report is due on 30 June 2025: due_year is 2023 that day and
    2024 from 1 July 2025."""
    return (t - pd.DateOffset(months=deadline_months)).year - 1


def descriptive_features(
    companies: pd.DataFrame,
    reports: pd.DataFrame,
    population: pd.Index,
    t: pd.Timestamp,
    cfg: FeaturesConfig,
) -> pd.DataFrame:
    """desc__ features for the companies of `population` (index company_id)."""
    now = versions_at(companies, t).reindex(population)
    registered = now["first_registered"]
    vat = now["vat_number"].fillna("").str.len().to_numpy() > 0
    vat_known = now["valid_from"].notna().to_numpy()

    values: dict[str, object] = {
        "desc__age_years": (t - registered).dt.days.to_numpy(dtype="float64") / DAYS_PER_YEAR,
        "desc__legal_form": now["legal_form"],
        "desc__sector": _rev2_sections(now["emtak_code"]),
        "desc__county": now["county"],
        "desc__vat_registered": np.where(vat_known, vat.astype("float64"), np.nan),
        "desc__vat_age_years": _vat_age(companies, population, t),
        "desc__capital": now["capital"].to_numpy(dtype="float64"),
    }
    values.update(_report_features(reports, registered, population, t, cfg))
    return family_frame(FEATURES, values, population)


def _rev2_sections(codes: pd.Series) -> pd.Series:
    """Section letters under NACE Rev. 2 of each activity code ("" where none)."""
    codes = codes.fillna("").astype("str")
    letters = {code: F.section_of(code, F.EMTAK_2008) for code in codes.unique()}
    return codes.map(letters).astype("str")


def _vat_age(companies: pd.DataFrame, population: pd.Index, t: pd.Timestamp) -> np.ndarray:
    """Years since the start of the current run of VAT-registered versions (NaN if none)."""
    c = companies.loc[
        (companies["valid_from"] <= t).to_numpy(dtype=bool),
        ["company_id", "valid_from", "valid_to", "vat_number"],
    ]
    c = c.loc[c["company_id"].isin(population).to_numpy()]
    has_vat = c["vat_number"].fillna("").str.len().to_numpy() > 0
    last_without = c.loc[~has_vat].groupby("company_id")["valid_from"].max()
    with_vat = c.loc[has_vat]
    before = last_without.reindex(with_vat["company_id"]).to_numpy()
    run = with_vat.loc[~(with_vat["valid_from"].to_numpy() <= before)]  # NaT compares False
    since = run.groupby("company_id")["valid_from"].min()
    current = versions_at(c, t)
    current_vat = current["vat_number"].fillna("").str.len() > 0
    since = since.reindex(population).where(current_vat.reindex(population, fill_value=False))
    return (t - since).dt.days.to_numpy(dtype="float64") / DAYS_PER_YEAR


def _report_features(
    reports: pd.DataFrame,
    registered: pd.Series,
    population: pd.Index,
    t: pd.Timestamp,
    cfg: FeaturesConfig,
) -> dict[str, np.ndarray]:
    r = reports
    visible = r.loc[((r["submitted_on"] <= t) & (r["published_on"] <= t)).to_numpy(dtype=bool)]
    visible = visible.loc[visible["company_id"].isin(population).to_numpy()]
    visible = visible.sort_values(
        ["company_id", "fiscal_year", "submitted_on", "report_id"], kind="stable"
    )
    by_year = visible.drop_duplicates(["company_id", "fiscal_year"], keep="last")
    last = by_year.drop_duplicates("company_id", keep="last").set_index("company_id")
    previous = by_year.loc[by_year["company_id"].duplicated(keep="last")]
    previous = previous.drop_duplicates("company_id", keep="last").set_index("company_id")
    previous = previous.loc[
        previous["fiscal_year"] == last["fiscal_year"].reindex(previous.index) - 1
    ]
    last = last.reindex(population)

    due = due_year(t, cfg.report_deadline_months)
    first = max(due - cfg.report_lookback_years + 1, 0)
    born = registered.dt.year.to_numpy(dtype="float64")
    reports_due = np.clip(due - np.fmax(born, first) + 1, 0, None)  # NaN year -> NaN
    in_window = by_year.loc[(by_year["fiscal_year"] >= first) & (by_year["fiscal_year"] <= due)]
    in_window = in_window.loc[
        in_window["fiscal_year"].to_numpy() >= born[population.get_indexer(in_window["company_id"])]
    ]
    filed = in_window.groupby("company_id").size().reindex(population, fill_value=0).to_numpy()

    period_end = last["period_end"].fillna(
        pd.to_datetime(
            last["fiscal_year"].astype("Int64").astype("str") + "-12-31", errors="coerce"
        )
    )
    deadline = period_end + pd.DateOffset(months=cfg.report_deadline_months)
    late = (last["submitted_on"] - deadline).dt.days.clip(lower=0).to_numpy(dtype="float64")
    since = (t - last["submitted_on"]).dt.days.to_numpy(dtype="float64") / DAYS_PER_MONTH

    def ratio(top: pd.Series, bottom: pd.Series) -> np.ndarray:
        top, bottom = top.to_numpy(dtype="float64"), bottom.to_numpy(dtype="float64")
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(bottom > 0, top / bottom, np.nan)

    prev_revenue = previous["revenue"].reindex(population)
    equity = last["equity"].to_numpy(dtype="float64")
    return {
        "desc__reports_due": reports_due,
        "desc__reports_missing": np.clip(reports_due - filed, 0, None),
        "desc__no_report": last["fiscal_year"].isna().to_numpy(dtype="float64"),
        "desc__last_report_days_late": late,
        "desc__months_since_last_report": since,
        "desc__going_concern_doubt": np.where(
            last["fiscal_year"].isna().to_numpy(),
            np.nan,
            (last["going_concern"].fillna("") != "").to_numpy(dtype="float64"),
        ),
        "desc__revenue": last["revenue"].to_numpy(dtype="float64"),
        "desc__assets": last["assets"].to_numpy(dtype="float64"),
        "desc__equity_ratio": ratio(last["equity"], last["assets"]),
        "desc__current_ratio": ratio(last["current_assets"], last["current_liabilities"]),
        "desc__profit_margin": ratio(last["net_profit"], last["revenue"]),
        "desc__revenue_growth": ratio(last["revenue"], prev_revenue) - 1.0,
        "desc__negative_equity": np.where(np.isnan(equity), np.nan, (equity < 0).astype("float64")),
    }
