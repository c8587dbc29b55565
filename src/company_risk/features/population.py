"""Who is scored at t: the business companies whose status at t is R (registered), as known at t.

Business companies are the legal forms of `formats.BUSINESS_LEGAL_FORMS`: not non-profits,
foundations or sole traders (a sole trader is a natural person, and scoring natural persons is
high-risk under the EU AI Act).

A status fact is visible at t only if it started by t and was published by t. The current
status is the visible status that started last. `valid_to` is deliberately not used: ingest
closes an interval when the *next* status is published, so a `valid_to` <= t can be written by a
drop after t (a bankruptcy dated before t but published after it must not remove the company
from the population at t).
"""

from __future__ import annotations

import pandas as pd

from company_risk import formats as F

_BUSINESS_TEXTS = tuple(F.LEGAL_FORM_TEXT[code] for code in F.BUSINESS_LEGAL_FORMS)


def status_at(status_history: pd.DataFrame, t: pd.Timestamp) -> pd.Series:
    """company_id -> status at t (str), for every company with a visible status fact."""
    s = status_history
    visible = s.loc[(s["published_on"] <= t) & (s["valid_from"] <= t)]
    visible = visible.sort_values(
        ["company_id", "valid_from", "published_on", "status"], kind="stable"
    )
    return visible.groupby("company_id", sort=True)["status"].last()


def business_companies(companies: pd.DataFrame) -> pd.Index:
    """The company_ids whose legal form (the general data's short code, or the basic data's
    text where a company has no code) is a business form, in any version."""
    code = companies["legal_form_code"]
    business = code.isin(F.BUSINESS_LEGAL_FORMS) | (
        (code == "") & companies["legal_form"].isin(_BUSINESS_TEXTS)
    )
    return pd.Index(companies.loc[business.to_numpy(dtype=bool), "company_id"].unique())


def population(status_history: pd.DataFrame, companies: pd.DataFrame, t: pd.Timestamp) -> pd.Index:
    """Sorted company_ids of business companies with status R at t (named `company_id`)."""
    status = status_at(status_history, t)
    registered = status.index[status.to_numpy() == "R"]
    scored = registered[registered.isin(business_companies(companies))]
    return pd.Index(scored, name="company_id", dtype="str")
