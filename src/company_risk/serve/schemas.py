"""The API's request and response shapes, every field described (they make `/openapi.json`).

Responses are built as plain dicts by `served.company_records` and serialised with orjson
(a bulk answer of 10,000 companies would spend most of its time in pydantic otherwise); these
models document that shape, and the tests check that the served JSON validates against them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from company_risk.schemas import REGISTRY_CODE_PATTERN

WATCHLIST_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HistoryPoint(_Strict):
    date: str = Field(description="A scored day (YYYY-MM-DD).")
    probability: float = Field(description="The 12-month probability of default that day.")
    risk_class: str = Field(description="The risk class that day (I lowest risk ... V highest).")


class TermStructure(_Strict):
    pd_3m: float = Field(description="Probability of default within 3 months.")
    pd_6m: float = Field(description="Probability of default within 6 months.")
    pd_9m: float = Field(description="Probability of default within 9 months.")


class Facts(_Strict):
    """Facts the register and the Tax and Customs Board published, as of the score date."""

    tax_debt: float | None = Field(None, description="Tax debt on the latest debtor list (EUR).")
    tax_debt_days: float | None = Field(
        None, description="Days since the oldest unpaid tax claim fell due (null: no debt)."
    )
    board_size: int | None = Field(None, description="Members of the management board.")
    last_report_year: float | None = Field(
        None, description="Financial year of the latest published annual report (null: none)."
    )
    overdue_report_year: float | None = Field(
        None, description="Latest financial year whose annual report is overdue (null: none)."
    )
    overdue_reports: int | None = Field(None, description="How many annual reports are overdue.")
    revenue: float | None = Field(None, description="Revenue in the latest annual report (EUR).")
    equity: float | None = Field(None, description="Equity in the latest annual report (EUR).")
    capital: float | None = Field(None, description="Share capital on the register.")


class Company(_Strict):
    registry_code: str = Field(description="The 8-digit registry code.")
    name: str = Field(description="The company's name on the register.")
    status: str = Field(description="Register status: R (registered; only these are scored).")
    legal_form: str = Field(description="Legal form (OÜ, AS, ...).")
    county: str = Field(description="County of the registered address.")
    main_activity: str = Field(description="Main activity (NACE code).")
    vat_registered: bool = Field(description="Whether the company is VAT-registered.")
    score_date: str = Field(description="The scored day this answer is from (YYYY-MM-DD).")
    probability: float = Field(description="Probability of default within 12 months.")
    term_structure: TermStructure | None = Field(
        description="Probabilities over shorter horizons (null: the model has none)."
    )
    risk_class: str = Field(description="Risk class I (lowest risk) ... V (highest).")
    class_name: str = Field(description="The risk class in words.")
    policy: list[str] = Field(description="Credit-policy keywords of the class.")
    data_depth: str | None = Field(
        description="How much evidence is behind the score: A (most) ... D (least)."
    )
    recommendation: str = Field(
        description="credit, no credit sale, or no recommendation (a person must look)."
    )
    credit_limit: float | None = Field(
        description="Suggested credit limit in EUR (null: none can be based on the figures)."
    )
    payment_term_days: int | None = Field(description="Suggested payment term (days).")
    credit_note: str = Field(description="Why the recommendation or limit is what it is.")
    reasons: list[str] = Field(description="The strongest drivers of the score, in words.")
    facts: Facts = Field(description="Published facts behind the score (never a person).")
    model_version: str = Field(description="Registered model version that scored this day.")


class CompanyWithHistory(Company):
    history: list[HistoryPoint] = Field(
        description="Probability and class on each of the last `days` scored days, oldest first."
    )


class QueryRequest(_Strict):
    codes: list[str] = Field(
        description="Registry codes to look up (at most `serve.max_query_codes`).",
        json_schema_extra={"items": {"pattern": REGISTRY_CODE_PATTERN}},
    )


class QueryResponse(_Strict):
    score_date: str = Field(description="The scored day every answer is from.")
    companies: list[Company] = Field(description="The codes scored that day, in the order asked.")
    unknown: list[str] = Field(description="Codes asked for that were not scored that day.")


class Alert(_Strict):
    company_id: str = Field(description="Registry code of the company the alert is about.")
    date: str = Field(description="The scored day that raised the alert.")
    kind: str = Field(description="What changed (see the README's alert kinds).")
    before: str = Field(description="The value before the change.")
    after: str = Field(description="The value after the change.")
    detail: str = Field(description="The change in words.")
    probability: str | None = Field(
        None, description="The company's probability that day (empty: not scored)."
    )


class AlertsResponse(_Strict):
    since: str = Field(description="The first scored day included.")
    score_date: str = Field(description="The newest scored day served.")
    alerts: list[Alert] = Field(description="The alerts, oldest day first.")
    truncated: bool = Field(description="True when more alerts matched than one answer holds.")


class WatchlistRules(_Strict):
    min_class_drop: int | None = Field(
        None, description="Class-worse alerts only when the class falls by at least this many."
    )
    class_at_least: str | None = Field(
        None, description="Class-worse alerts only when entering this class or a worse one."
    )
    probability_at_least: float | None = Field(
        None, description="Score alerts only when the new probability is at least this."
    )


class WatchlistIn(_Strict):
    codes: list[str] = Field(description="Registry codes to follow.")
    webhook_url: str | None = Field(
        None, description="http(s) URL each new day's alerts are POSTed to (null: none)."
    )
    kinds: list[str] = Field(
        default_factory=list, description="Alert kinds wanted (empty: every kind)."
    )
    rules: WatchlistRules = Field(
        default_factory=WatchlistRules, description="Rules on score-change alerts."
    )


class Watchlist(_Strict):
    name: str = Field(description="The watchlist's name.")
    codes: list[str] = Field(description="Registry codes followed, sorted.")
    webhook_url: str | None = Field(description="Where new alerts are POSTed (null: nowhere).")
    kinds: list[str] = Field(description="Alert kinds wanted (empty: every kind).")
    rules: WatchlistRules = Field(description="Rules on score-change alerts.")
    created_at: str = Field(description="When the watchlist was made (UTC).")
    updated_at: str = Field(description="When it was last replaced (UTC).")
    webhook_secret: str | None = Field(
        None,
        description="The HMAC-SHA256 key of the webhook's signatures; only in the answer to "
        "the PUT that set the webhook URL.",
    )


class Delivery(_Strict):
    watchlist: str = Field(description="The watchlist delivered to.")
    date: str = Field(description="The scored day whose alerts were sent.")
    url: str = Field(description="The webhook URL.")
    status: str = Field(description="pending, delivered or failed (after every attempt).")
    attempts: int = Field(description="Attempts made.")
    last_error: str = Field(description="Why the last attempt failed (empty: it did not).")
    alerts: int = Field(description="Alerts in the delivery.")
    updated_at: str = Field(description="When the delivery last changed (UTC).")


class Health(_Strict):
    status: str = Field(description="ok, stale (the served day is too old) or no_data.")
    partition: str | None = Field(description="The partition folder served.")
    score_date: str | None = Field(description="The scored day served.")
    model_version: str | None = Field(description="The model version that scored it.")
    stale: bool = Field(description="True when the day is older than serve.max_age_days.")
    age_days: int | None = Field(description="Days between the served day and today.")
    companies: int | None = Field(description="Companies in the served day.")
    history_days: int | None = Field(description="Scored days of history held for `history`.")
    history_complete: bool = Field(
        description="False for the first seconds after a start, while the earlier days load: "
        "answers until then carry the served day in `history` only."
    )


class Problem(_Strict):
    detail: str = Field(description="What was refused, and why.")
