"""The causal synthetic Estonian register: `simulate(cfg) -> World`.

Why a causal simulation rather than random tables: each evidence family the models use (the
board graph, the tax-debtor list and tax payments, the register's descriptive data with the
annual reports) must carry a signal of its own, and the signal must come from one hidden cause,
so that the families overlap in some failures and not in others, as in reality.

The hidden cause is a company's latent *health*. It reverts towards a company-specific level
set by its sector, the business cycle, the trustworthiness of its board members, its age and
contagion from failed companies that share a board member; it moves by Gaussian shocks and rare
jumps. Health drives, with noise and delay:
- exits: bankruptcy (N, then deletion K months later) from failing health or from creditors
  petitioning over long unpaid taxes, voluntary liquidation (L, then K), and compulsory
  deletion (K), which mostly follows annual reports that stay missing at companies that have
  stopped trading;
- annual reports: the filing hazard falls with health, so weak companies file late or never;
  the financial figures reflect the year's mean health;
- the tax-debtor list: debts appear, grow with interest and new arrears, age, are scheduled,
  disputed or paid, at rates set by health plus a persistent company trait (so many failures
  never show a debt);
- quarterly tax payments: turnover, employees and labour taxes fall with health;
- the board: churn rises as health falls, and failing companies draw "serial directors" of low
  trust, who thereby leave a trail of failed companies for a graph model to discover.

The world is simulated on the drop calendar (monthly steps, then daily steps in the tail, every
rate scaled by the step length) and vectorised over companies, so the default world takes
seconds and 100,000 companies take minutes. One `numpy.random.Generator(seed)` is threaded
through everything: same seed and parameters, identical tables.

The true 12-month default probability of every active company at every month (`truth_pd`) is
computed inside the same loop by a vectorised Monte Carlo of the company's own latent path with
the exit event Rao-Blackwellised (the analytic survival product along each path is averaged, not
sampled), with the tax debt's presence and age simulated along the path, and board trust and
contagion frozen at their current values.

What only makes the files look real (foreign persons, role codes other than a plain board
member, procurators, partners, liquidators, trustees, share registers, the EMTAK 2025
re-classification, capital changes, e-mail addresses, audit details of the annual reports)
draws from a second generator of its own (`[seed, 7]`), after the simulation: changing that
surface never changes the dynamics or the truth.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from company_risk import formats as F
from company_risk.config import ConfigError, SynthConfig
from company_risk.synth import _catalog as cat
from company_risk.synth import _identity as ident
from company_risk.synth.world import World

MONTH_DAYS = 30.436875  # mean Gregorian month; time in the dynamics is measured in months
YEAR_DAYS = 365.2425
OPEN = np.iinfo(np.int64).max  # "no end date yet" for day-number columns
UNBORN, R, L, N, K = 0, 1, 2, 3, 4
STATUS_LETTER = np.array(["", "R", "L", "N", "K"])
AVERAGE_WAGE = 1600.0  # EUR a month: scales labour taxes and labour expense
LABOUR_TAX_RATE = 0.338  # social tax plus unemployment insurance paid by the employer
PARTIAL_PAYS_OLDEST = 0.5  # share of partial payments that settle the oldest claims
SURFACE_STREAM = 7  # the generator `[seed, 7]` draws what only makes the files look real
PAYMENTS_PUBLISHED_AFTER_DAYS = 10  # EMTA publishes a quarter ~10 days after it ends
# surface shares (the `[seed, 7]` generator)
SOLE_MEMBER_CODE_SHARE = 0.12  # tenures of a one-member board entered as JUHA
CHAIR_CODE_SHARE = 0.35  # first member of a larger board entered as chairman JUHE
CAPITAL_CHANGE_SHARE = 0.06  # companies whose share capital changes once
EMTAK_2025_FROM = dt.date(2025, 1, 1)  # EMTAK 2025 in force; companies move at their next report
EMTAK_2025_ADOPTION = 0.72  # ... most of them: about 70 % of companies carry EMTAK 2025 by 2026


@dataclass(frozen=True)
class Rates:
    """Every rate and shape parameter of the world; `synth.rates` in params.yaml overrides any.

    Hazards are per month; log-linear slopes are per unit of latent health (whose spread across
    companies is about 1). The defaults approach the Estonian base rates; reports/world.json
    measures them and the README lists where they still differ.
    """

    # population
    stock_share: float = 0.55  # share of companies already registered at the first drop
    stock_mean_age_years: float = 7.0
    harju_share: float = 0.52  # Harju county; the other counties keep their relative weights
    share_as: float = 0.04  # legal forms other than OÜ
    share_tu: float = 0.008
    share_uu: float = 0.004
    share_tuh: float = 0.008
    vat_share: float = 0.45  # share of companies that register for VAT
    size_median: float = 60000.0  # median yearly turnover (EUR) of a healthy company
    size_sd: float = 1.4  # log-sd of company size
    employees_per_turnover: float = 1.5e-5  # employees per EUR of yearly turnover
    # boards and persons
    board_multi_share: float = 0.15  # boards with more than one member
    board_extra_member: float = 0.25  # chance of each further member beyond two
    serial_person_share: float = 0.02  # persons who are serial directors
    serial_bad_share: float = 0.7  # serial directors of low trust
    serial_seat_share: float = 0.3  # founding board seats taken by serial directors
    repeat_seat_share: float = 0.3  # founding seats taken by someone already on a board
    churn_rate: float = 0.010  # board replacements per month at health 0
    churn_slope: float = 0.6
    strawman_rate: float = 0.2  # chance a replacement is a serial director at health 0
    strawman_slope: float = 0.9  # ... rising (log-odds) as health falls
    # health
    health_mean: float = 0.9
    health_company_sd: float = 0.55  # persistent company effect
    health_reversion: float = 0.06  # per month
    health_noise: float = 0.22  # Gaussian shock sd per sqrt(month)
    shock_rate: float = 0.012  # rare negative jumps per month
    shock_size: float = 1.2
    trust_weight: float = 1.2  # health per unit of mean board trust
    young_penalty: float = 0.6  # extra fragility of a newborn company, fading with age
    young_months: float = 24.0
    capital_weight: float = 0.08  # health per log10 of share capital above 2500 EUR
    sector_scale: float = 1.0  # multiplies the sector health effects of the catalogue
    cycle_amplitude: float = 0.25
    cycle_period_years: float = 8.0
    cycle_trough_year: float = 2020.3
    contagion_shock: float = 0.8  # health lost per failed company sharing a board member
    contagion_decay: float = 0.08  # per month
    # exits
    bankrupt_rate: float = 2e-05  # per month at health 0, median size
    bankrupt_slope: float = 1.4
    bankrupt_size_elasticity: float = 0.3
    bankrupt_debt_rate: float = 0.015  # extra bankruptcy hazard (creditor petitions) ...
    bankrupt_debt_months: float = 12.0  # ... once the oldest unpaid tax claim is this old
    bankrupt_to_deleted_min_months: float = 8.0
    bankrupt_to_deleted_max_months: float = 30.0
    liquidation_rate: float = 0.0012
    liquidation_slope: float = 0.3
    liquidation_min_months: float = 4.0
    liquidation_max_months: float = 14.0
    deletion_base: float = 0.0008  # compulsory deletion without a missing report
    deletion_rate: float = 0.03  # once a report is overdue for the grace period, at health 0 ...
    deletion_slope: float = 1.0  # ... falling with health: a company still trading files late
    deletion_grace_months: float = 6.0
    # annual reports (deadline: 30 June after the calendar fiscal year)
    filing_on_time: float = 0.20  # monthly filing hazard before the deadline at health 0
    filing_late: float = 0.15  # after the deadline
    filing_slope: float = 1.2
    filing_diligence_sd: float = 0.6  # persistent company trait
    # tax debt
    debt_arrival: float = 0.0012
    debt_arrival_slope: float = 2.2
    debt_payoff: float = 0.2
    debt_payoff_slope: float = 0.8
    debt_growth: float = 0.3  # new arrears per month while in debt at health 0
    debt_growth_slope: float = 0.7
    debt_partial_payment: float = 0.15
    debt_size_share: float = 0.02  # a new arrear as a share of yearly turnover (median)
    debt_interest_daily: float = 0.0006
    debt_disputed_share: float = 0.04
    debt_schedule_rate: float = 0.03
    tax_noise_sd: float = 0.6  # persistent company trait in tax behaviour
    dormant_health: float = -2.0  # below it a company mostly stops trading
    # truth
    truth_paths: float = 32  # Monte Carlo paths per company and month for truth_pd

    @classmethod
    def from_mapping(cls, raw: dict[str, float]) -> Rates:
        """Defaults overridden by `raw`; an unknown name is an error, never silently ignored."""
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ConfigError(
                f"synth.rates: unknown rate name(s) {', '.join(unknown)}; "
                f"known rates: {', '.join(known)}"
            )
        values = {}
        for name, value in raw.items():
            try:
                values[name] = float(value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"synth.rates.{name}: expected a number, got {value!r}") from exc
        return cls(**values)


def drop_calendar(start: dt.date, end: dt.date, tail_days: int) -> list[pd.Timestamp]:
    """The first day of each month from start to end, then every day of the tail after end."""
    monthly = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="MS")
    tail = pd.date_range(pd.Timestamp(end) + pd.Timedelta(days=1), periods=tail_days, freq="D")
    return [pd.Timestamp(d) for d in monthly.append(tail)]


def simulate(cfg: SynthConfig) -> World:
    """Simulate the register described by `cfg` (deterministic in cfg.seed and cfg.rates)."""
    rates = Rates.from_mapping(cfg.rates)
    drops = drop_calendar(cfg.start, cfg.end, cfg.daily_tail_days)
    if not drops:  # start <= end is checked at load; a span inside one month has no 1st
        raise ConfigError(
            f"synth: no drop date: no first of a month from {cfg.start} to {cfg.end} and no "
            "daily_tail_days"
        )
    days = np.array([_day(d) for d in drops], dtype=np.int64)
    n_monthly = int(np.sum(days <= _day(pd.Timestamp(cfg.end))))
    rng = np.random.default_rng(cfg.seed)
    # the oracle's Monte Carlo draws from a stream of its own, so that how the truth is
    # estimated (e.g. `truth_paths`) never changes the world it describes
    oracle_rng = np.random.default_rng([cfg.seed, 1])
    sim = _Simulation(
        _draw_companies(cfg.n_companies, days, rates, rng),
        rates,
        rng,
        oracle_rng,
        truth_every_months=cfg.TRUTH_MONTHS[cfg.truth_every],
    )
    sim.begin(int(days[0]), monthly=n_monthly > 0)
    for k in range(1, len(days)):
        sim.step(int(days[k - 1]), int(days[k]), monthly=k < n_monthly)
    return sim.world(drops, np.random.default_rng([cfg.seed, SURFACE_STREAM]))


# ------------------------------------------------------------------------------- dynamics
def _cycle(day: float | np.ndarray, rates: Rates) -> float | np.ndarray:
    """Business cycle: a sine with its trough at `cycle_trough_year`."""
    years = 1970.0 + np.asarray(day) / YEAR_DAYS
    phase = 2 * math.pi * (years - rates.cycle_trough_year) / rates.cycle_period_years
    return rates.cycle_amplitude * np.sin(phase - math.pi / 2)


def _health_step(h, target, dt_months, rates: Rates, rng: np.random.Generator):
    """Mean reversion towards `target`, Gaussian noise and rare negative jumps over dt months."""
    pull = 1.0 - math.exp(-rates.health_reversion * dt_months)
    noise = rates.health_noise * math.sqrt(dt_months) * rng.standard_normal(h.shape)
    jump = rng.random(h.shape) < 1.0 - math.exp(-rates.shock_rate * dt_months)
    return h + pull * (target - h) + noise - rates.shock_size * jump


def _exit_rates(h, size_factor, months_overdue, debt_months, rates: Rates):
    """Monthly hazards of bankruptcy, compulsory deletion and voluntary liquidation.

    A missing annual report leads to compulsory deletion mostly where the company has stopped
    trading (low health); one still trading files after the registrar's warning. Bankruptcy has
    two causes: the business failing (health) and creditors petitioning over
    long unpaid taxes (`debt_months`: age of the oldest unpaid claim, -inf without debt), which
    is why most real bankrupts were on the debtor list long before.
    """
    lam_n = rates.bankrupt_rate * np.exp(-rates.bankrupt_slope * h) * size_factor
    lam_n = lam_n + rates.bankrupt_debt_rate * (debt_months >= rates.bankrupt_debt_months)
    overdue = months_overdue >= rates.deletion_grace_months
    lam_k = rates.deletion_base + rates.deletion_rate * np.exp(-rates.deletion_slope * h) * overdue
    lam_l = rates.liquidation_rate * np.exp(-rates.liquidation_slope * h)
    return lam_n, lam_k, lam_l


def _filing_rate(h, diligence, before_deadline, rates: Rates):
    base = np.where(before_deadline, rates.filing_on_time, rates.filing_late)
    return base * np.exp(rates.filing_slope * h + diligence)


def _months_overdue(t, pending_deadline, old_overdue):
    """Months since the oldest missed report deadline (-inf when nothing is overdue)."""
    current = np.where(t >= pending_deadline, pending_deadline, np.inf)
    return t - np.minimum(old_overdue, current)


def _prob(rate, dt_months):
    return 1.0 - np.exp(-rate * dt_months)


def _day(ts: pd.Timestamp | dt.date) -> int:
    return int(np.datetime64(pd.Timestamp(ts).date(), "D").astype(np.int64))


def _month_start(year, month) -> np.ndarray:
    """Day numbers of the first day of (year, month), vectorised."""
    months = (np.asarray(year) - 1970) * 12 + (np.asarray(month) - 1)
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _year_of(day) -> np.ndarray:
    return np.asarray(day).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _to_datetime(day: np.ndarray) -> np.ndarray:
    """Day numbers to datetime64[us], OPEN to NaT."""
    day = np.asarray(day, dtype=np.int64)
    out = day.astype("datetime64[D]").astype("datetime64[us]")
    out[day == OPEN] = np.datetime64("NaT")
    return out


# ------------------------------------------------------------------------------ companies
@dataclass
class _Companies:
    """Static attributes of every company ever born, indexed in registration order."""

    reg_day: np.ndarray
    sector: np.ndarray
    county: np.ndarray
    legal: np.ndarray
    capital: np.ndarray
    size: np.ndarray  # yearly turnover at health 0
    employees: np.ndarray  # head count at health 0 (fractional)
    base: np.ndarray  # persistent part of the health target
    beta: np.ndarray  # business-cycle sensitivity
    diligence: np.ndarray  # filing trait
    tax_trait: np.ndarray  # tax-behaviour trait
    vat: np.ndarray  # registers for VAT
    board_size: np.ndarray
    size_factor: np.ndarray  # size relative to the median company (bankruptcy needs creditors)

    @property
    def n(self) -> int:
        return len(self.reg_day)


def _draw_companies(n: int, days: np.ndarray, rates: Rates, rng: np.random.Generator) -> _Companies:
    """Registration dates (a stock before the first drop plus births over the calendar) and the
    attributes fixed at birth."""
    first, last = int(days[0]), int(days[-1])
    stock = rng.random(n) < rates.stock_share
    age_days = np.minimum(
        rng.exponential(rates.stock_mean_age_years * YEAR_DAYS, n), 30 * YEAR_DAYS
    )
    reg = np.where(
        stock,
        first - 1 - age_days.astype(np.int64),
        rng.integers(first + 1, max(last, first + 1) + 1, n),
    )
    reg = np.sort(reg)
    sector_w = np.array([s.weight for s in cat.SECTORS])
    sector = rng.choice(len(cat.SECTORS), n, p=sector_w / sector_w.sum())
    county_w = np.array([c.weight for c in cat.COUNTIES])
    county_w = np.concatenate(
        [[rates.harju_share], county_w[1:] / county_w[1:].sum() * (1 - rates.harju_share)]
    )
    county = rng.choice(len(cat.COUNTIES), n, p=county_w)
    other = np.array([rates.share_as, rates.share_tu, rates.share_uu, rates.share_tuh])
    if other.sum() >= 1 or (other < 0).any():
        raise ConfigError("synth.rates: legal-form shares must be >= 0 and sum below 1")
    legal = rng.choice(len(cat.LEGAL_FORMS), n, p=np.concatenate([[1 - other.sum()], other]))
    capital = np.zeros(n)
    for i, form in enumerate(cat.LEGAL_FORMS):  # a loop over five legal forms
        rows = np.flatnonzero(legal == i)
        w = np.array(form.capital_weights)
        capital[rows] = rng.choice(np.array(form.capital_choices), len(rows), p=w / w.sum())
    size = rates.size_median * np.exp(rates.size_sd * rng.standard_normal(n))
    size = size * np.where(legal == 1, 8.0, 1.0)  # public limited companies are larger
    employees = size * rates.employees_per_turnover * np.exp(0.5 * rng.standard_normal(n))
    sector_health = np.array([s.health for s in cat.SECTORS]) * rates.sector_scale
    base = (
        rates.health_mean
        + sector_health[sector]
        + rates.health_company_sd * rng.standard_normal(n)
        + rates.capital_weight * np.log10(np.maximum(capital, 250.0) / 2500.0)
    )
    beta = np.array([s.cycle_beta for s in cat.SECTORS])[sector]
    vat_logit = _logit(rates.vat_share) + np.log(size / rates.size_median)
    multi = rng.random(n) < rates.board_multi_share
    board_size = 1 + multi * (1 + rng.geometric(1 - rates.board_extra_member, n) - 1)
    return _Companies(
        reg_day=reg.astype(np.int64),
        sector=sector,
        county=county,
        legal=legal,
        capital=capital,
        size=size,
        employees=employees,
        base=base,
        beta=beta,
        diligence=rates.filing_diligence_sd * rng.standard_normal(n),
        tax_trait=rates.tax_noise_sd * rng.standard_normal(n),
        vat=rng.random(n) < _sigmoid(vat_logit),
        board_size=board_size.astype(np.int64),
        size_factor=(size / np.median(size)) ** rates.bankrupt_size_elasticity,
    )


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


# ---------------------------------------------------------------------------------- growable
@dataclass
class _Columns:
    """Append-only columnar store with amortised doubling (boards and persons grow each step)."""

    dtypes: dict[str, np.dtype]
    size: int = 0
    data: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self):
        self.data = {k: np.empty(64, dtype=v) for k, v in self.dtypes.items()}

    def append(self, **cols: np.ndarray) -> np.ndarray:
        """Append rows; returns their indices."""
        m = len(next(iter(cols.values())))
        capacity = len(next(iter(self.data.values())))
        if self.size + m > capacity:
            new_cap = max(2 * capacity, self.size + m)
            for k, arr in self.data.items():
                grown = np.empty(new_cap, dtype=arr.dtype)
                grown[: self.size] = arr[: self.size]
                self.data[k] = grown
        for k, v in cols.items():
            self.data[k][self.size : self.size + m] = v
        idx = np.arange(self.size, self.size + m)
        self.size += m
        return idx

    def __getitem__(self, key: str) -> np.ndarray:
        return self.data[key][: self.size]


# ------------------------------------------------------------------------------ simulation
class _Simulation:
    """Mutable state of one run; `simulate` drives it step by step and reads out a World."""

    def __init__(
        self,
        comp: _Companies,
        rates: Rates,
        rng: np.random.Generator,
        oracle_rng: np.random.Generator,
        truth_every_months: int = 1,
    ):
        self.c, self.r, self.rng, self.oracle_rng = comp, rates, rng, oracle_rng
        self.truth_every_months = truth_every_months
        n = comp.n
        self.status = np.zeros(n, dtype=np.int8)
        self.h = np.zeros(n)
        self.contagion = np.zeros(n)
        self.trust = np.zeros(n)  # mean trust of the current board
        self.pending_year = np.zeros(n, dtype=np.int64)  # fiscal year of the report due (0: none)
        self.pending_deadline = np.full(n, np.inf)  # in months (day / MONTH_DAYS)
        self.old_overdue = np.full(n, np.inf)  # deadline of an older report never filed
        self.fy_health = np.zeros(n)  # mean health of the fiscal year now being reported
        self.year_health = np.zeros(n)  # running health integral of the current year
        self.year_weight = np.zeros(n)
        self.debt = np.zeros(n)
        self.disputed = np.zeros(n)
        self.scheduled = np.zeros(n)
        self.schedule_end = np.full(n, OPEN, dtype=np.int64)
        self.oldest_due = np.full(n, OPEN, dtype=np.int64)
        self.deletion_due = np.full(n, OPEN, dtype=np.int64)  # K date after N or L
        self.exit_day = np.full(n, OPEN, dtype=np.int64)  # first status other than R
        self.persons = _Columns({"trust": np.float64, "serial": bool, "bad": bool})
        self.roles = _Columns(
            {"company": np.int64, "person": np.int64, "start": np.int64, "end": np.int64}
        )
        n_serial = max(4, round(rates.serial_person_share * n * 1.1))
        bad = rng.random(n_serial) < rates.serial_bad_share
        self.persons.append(
            trust=np.where(
                bad,
                -1.8 + 0.5 * rng.standard_normal(n_serial),
                0.5 + 0.5 * rng.standard_normal(n_serial),
            ),
            serial=np.ones(n_serial, dtype=bool),
            bad=bad,
        )
        self.n_serial = n_serial
        self.log_status: list[tuple[np.ndarray, int, np.ndarray]] = []
        self.log_debts: list[dict[str, np.ndarray]] = []
        self.log_latent: list[dict[str, np.ndarray]] = []
        self.log_pd: list[dict[str, np.ndarray]] = []
        self.log_reports: list[dict[str, np.ndarray]] = []
        self.log_payments: list[dict[str, np.ndarray]] = []

    # -------------------------------------------------------------------- health target
    def _target(self, idx: np.ndarray, day: float) -> np.ndarray:
        c, r = self.c, self.r
        age = (day - c.reg_day[idx]) / MONTH_DAYS
        return (
            c.base[idx]
            + c.beta[idx] * _cycle(day, r)
            + r.trust_weight * self.trust[idx]
            - self.contagion[idx]
            - r.young_penalty * np.exp(-np.maximum(age, 0) / r.young_months)
        )

    def _stationary_health(self, idx: np.ndarray, day: float) -> np.ndarray:
        sd = self.r.health_noise / math.sqrt(2 * self.r.health_reversion)
        return self._target(idx, day) + sd * self.rng.standard_normal(len(idx))

    # ---------------------------------------------------------------------------- begin
    def begin(self, day0: int, monthly: bool) -> None:
        """Register the stock alive at the first drop and bring its state to a steady state.

        The stock's health, overdue reports and tax debts are burnt in over two years of the
        same dynamics (exits there replace the company by a fresh draw, since the stock are the
        survivors), so the first months show no artificial wave of deletions.
        """
        stock = np.flatnonzero(self.c.reg_day <= day0)
        self._birth(stock)
        self.trust_update()
        self.h[stock] = self._stationary_health(stock, day0)
        month0 = np.datetime64(day0, "D").astype("datetime64[M]").astype(np.int64)
        starts = np.arange(month0 - 24, month0 + 1).astype("datetime64[M]").astype("datetime64[D]")
        months = np.append(starts.astype(np.int64)[starts.astype(np.int64) < day0], day0)
        for a, b in zip(months[:-1], months[1:], strict=True):
            self._burn_in_step(stock[self.c.reg_day[stock] <= a], int(a), int(b))
        self._record(day0, monthly)

    def _burn_in_step(self, idx: np.ndarray, a: int, b: int) -> None:
        dtm = (b - a) / MONTH_DAYS
        lam = sum(self._exit_hazards(idx, a))
        gone = idx[self.rng.random(len(idx)) < _prob(lam, dtm)]
        self.h[gone] = self._stationary_health(gone, a)
        self.pending_year[gone], self.pending_deadline[gone], self.old_overdue[gone] = (
            0,
            np.inf,
            np.inf,
        )
        self.debt[gone] = 0.0
        self._file_reports(idx, a, b, record=False)
        self._advance_health(idx, a, b)
        self._advance_debt(idx, a, b)
        self._rollover(idx, a, b)

    # ----------------------------------------------------------------------------- step
    def step(self, a: int, b: int, monthly: bool) -> None:
        """Advance from drop date a to drop date b (day numbers)."""
        active = np.flatnonzero(self.status == R)
        exiting = self._exits(active, a, b)
        self._scheduled_deletions(b)
        staying = active[~np.isin(active, exiting)]
        self._file_reports(staying, a, b, record=True)
        alive = np.flatnonzero((self.status >= R) & (self.status < K))
        self._advance_health(alive, a, b)
        self._advance_debt(alive, a, b)
        self._churn(staying, a, b)
        self.contagion *= math.exp(-self.r.contagion_decay * (b - a) / MONTH_DAYS)
        born = np.flatnonzero((self.c.reg_day > a) & (self.c.reg_day <= b))
        self._birth(born)
        self.trust_update()
        self.h[born] = self._stationary_health(born, b)
        self._rollover(np.flatnonzero(self.status == R), a, b)
        self._payments(a, b)
        self._record(b, monthly)

    def _exit_hazards(self, idx: np.ndarray, a: int):
        over = _months_overdue(a / MONTH_DAYS, self.pending_deadline[idx], self.old_overdue[idx])
        return _exit_rates(
            self.h[idx], self.c.size_factor[idx], over, self._debt_months(idx, a), self.r
        )

    def _debt_months(self, idx: np.ndarray, a: int) -> np.ndarray:
        """Age in months of each company's oldest unpaid tax claim (-inf without debt)."""
        since = np.where(self.debt[idx] > 0, self.oldest_due[idx], OPEN).astype(float)
        return np.where(since < OPEN, (a - since) / MONTH_DAYS, -np.inf)

    def _event_days(self, m: int, a: int, b: int) -> np.ndarray:
        return a + self.rng.integers(1, b - a + 1, m)

    def _exits(self, idx: np.ndarray, a: int, b: int) -> np.ndarray:
        """Draw N / K / L among active companies; returns the companies that left R."""
        r, rng = self.r, self.rng
        lam_n, lam_k, lam_l = self._exit_hazards(idx, a)
        lam = lam_n + lam_k + lam_l
        out = rng.random(len(idx)) < _prob(lam, (b - a) / MONTH_DAYS)
        u = rng.random(len(idx)) * lam
        kind = np.where(u < lam_n, N, np.where(u < lam_n + lam_k, K, L))[out]
        who = idx[out]
        day = self._event_days(len(who), a, b)
        for code in (N, K, L):
            sel = kind == code
            self._set_status(who[sel], code, day[sel])
        self.exit_day[who] = day
        months = np.where(
            kind == N,
            rng.uniform(
                r.bankrupt_to_deleted_min_months, r.bankrupt_to_deleted_max_months, len(who)
            ),
            rng.uniform(r.liquidation_min_months, r.liquidation_max_months, len(who)),
        )
        self.deletion_due[who] = np.where(
            kind == K, OPEN, day + (months * MONTH_DAYS).astype(np.int64)
        )
        defaults = who[kind != L]
        self._contagion(defaults)
        self._end_roles(who[kind == K], day[kind == K])
        return who

    def _scheduled_deletions(self, b: int) -> None:
        """Deletion of bankrupt and liquidated companies when their proceedings end."""
        due = np.flatnonzero((self.deletion_due <= b) & (self.status != K))
        self._set_status(due, K, self.deletion_due[due])
        self._end_roles(due, self.deletion_due[due])

    def _set_status(self, idx: np.ndarray, code: int, day: np.ndarray) -> None:
        if len(idx):
            self.status[idx] = code
            self.log_status.append((idx, code, np.asarray(day, dtype=np.int64)))

    def _birth(self, idx: np.ndarray) -> None:
        if not len(idx):
            return
        self._set_status(idx, R, self.c.reg_day[idx])
        seats = np.repeat(idx, self.c.board_size[idx])
        self._seat(
            seats,
            self.c.reg_day[seats],
            self.r.serial_seat_share,
            np.full(len(seats), self.r.serial_bad_share),
        )

    # --------------------------------------------------------------------------- boards
    def _seat(self, company: np.ndarray, day: np.ndarray, p_serial, p_bad: np.ndarray) -> None:
        """Fill one board seat per entry: a serial director, someone already on another board,
        or a new person. A person never holds two seats on one board."""
        rng, m = self.rng, len(company)
        if not m:
            return
        n_persons = self.persons.size
        u = rng.random(m)
        serial = u < p_serial
        repeat = ~serial & (u < p_serial + self.r.repeat_seat_share) & (n_persons > self.n_serial)
        person = np.full(m, -1, dtype=np.int64)
        pool_bad = np.flatnonzero(self.persons["bad"])
        pool_good = np.flatnonzero(self.persons["serial"] & ~self.persons["bad"])
        want_bad = rng.random(m) < p_bad
        for pool, sel in ((pool_bad, serial & want_bad), (pool_good, serial & ~want_bad)):
            if len(pool):
                person[sel] = pool[rng.integers(0, len(pool), int(sel.sum()))]
        if repeat.any():
            person[repeat] = rng.integers(self.n_serial, n_persons, int(repeat.sum()))
        taken = person >= 0
        keys = company * (1 << 32) + person
        open_roles = self.roles["end"] == OPEN
        held = self.roles["company"][open_roles] * (1 << 32) + self.roles["person"][open_roles]
        clash = np.isin(keys, held)
        _, first = np.unique(keys, return_index=True)
        again = np.ones(m, dtype=bool)
        again[first] = False
        person[taken & (clash | again)] = -1
        new = person < 0
        k = int(new.sum())
        person[new] = self.persons.append(
            trust=rng.standard_normal(k),
            serial=np.zeros(k, dtype=bool),
            bad=np.zeros(k, dtype=bool),
        )
        self.roles.append(company=company, person=person, start=day, end=np.full(m, OPEN))

    def trust_update(self) -> None:
        """Mean trust of each company's current board."""
        open_roles = self.roles["end"] == OPEN
        comp = self.roles["company"][open_roles]
        trust = self.persons["trust"][self.roles["person"][open_roles]]
        total = np.bincount(comp, weights=trust, minlength=self.c.n)
        count = np.bincount(comp, minlength=self.c.n)
        self.trust = total / np.maximum(count, 1)

    def _end_roles(self, idx: np.ndarray, day: np.ndarray) -> None:
        if not len(idx):
            return
        end_of = np.full(self.c.n, OPEN, dtype=np.int64)
        end_of[idx] = day
        rows = np.flatnonzero((self.roles["end"] == OPEN) & (end_of[self.roles["company"]] != OPEN))
        self.roles.data["end"][rows] = end_of[self.roles["company"][rows]]

    def _churn(self, idx: np.ndarray, a: int, b: int) -> None:
        """Board replacements: more frequent, and more often a serial director, as health falls."""
        r, rng = self.r, self.rng
        h = self.h[idx]
        hit = idx[
            rng.random(len(idx))
            < _prob(r.churn_rate * np.exp(-r.churn_slope * h), (b - a) / MONTH_DAYS)
        ]
        if not len(hit):
            return
        rows = np.flatnonzero((self.roles["end"] == OPEN) & np.isin(self.roles["company"], hit))
        rows = rows[rng.permutation(len(rows))]
        _, first = np.unique(self.roles["company"][rows], return_index=True)
        leaving = rows[first]
        company = self.roles["company"][leaving]
        day = self._event_days(len(leaving), a, b)
        self.roles.data["end"][leaving] = day
        hc = self.h[company]
        p_serial = _sigmoid(_logit(r.strawman_rate) - r.strawman_slope * hc)
        p_bad = _sigmoid(_logit(r.serial_bad_share) - r.strawman_slope * hc)
        self._seat(company, day, p_serial, p_bad)

    def _contagion(self, failed: np.ndarray) -> None:
        """Every active company sharing a current board member with a failed one loses health."""
        if not len(failed):
            return
        open_roles = np.flatnonzero(self.roles["end"] == OPEN)
        comp, pers = self.roles["company"][open_roles], self.roles["person"][open_roles]
        exposed = np.unique(pers[np.isin(comp, failed)])
        links = comp[np.isin(pers, exposed)]
        links = links[(self.status[links] == R) & ~np.isin(links, failed)]
        np.add.at(self.contagion, links, self.r.contagion_shock)

    # ------------------------------------------------------------------ health, reports
    def _advance_health(self, idx: np.ndarray, a: int, b: int) -> None:
        dtm = (b - a) / MONTH_DAYS
        self.h[idx] = _health_step(self.h[idx], self._target(idx, a), dtm, self.r, self.rng)
        self.year_health[idx] += self.h[idx] * dtm
        self.year_weight[idx] += dtm

    def _file_reports(self, idx: np.ndarray, a: int, b: int, record: bool) -> None:
        idx = idx[self.pending_year[idx] > 0]
        t = a / MONTH_DAYS
        rate = _filing_rate(
            self.h[idx], self.c.diligence[idx], t < self.pending_deadline[idx], self.r
        )
        filed = idx[self.rng.random(len(idx)) < _prob(rate, (b - a) / MONTH_DAYS)]
        if record and len(filed):
            self.log_reports.append(
                {
                    "company": filed,
                    "fiscal_year": self.pending_year[filed].copy(),
                    "submitted": self._event_days(len(filed), a, b),
                    "health": self.fy_health[filed].copy(),
                }
            )
        self.pending_year[filed], self.pending_deadline[filed], self.old_overdue[filed] = (
            0,
            np.inf,
            np.inf,
        )

    def _rollover(self, idx: np.ndarray, a: int, b: int) -> None:
        """On 1 January the report of the year just ended falls due (deadline 30 June); a report
        still missing from the year before stays overdue."""
        year = int(_year_of(b))
        jan1 = int(_month_start(year, 1))
        if not a < jan1 <= b:
            return
        idx = idx[self.c.reg_day[idx] < jan1]
        missing = self.pending_year[idx] > 0
        self.old_overdue[idx] = np.where(
            missing,
            np.minimum(self.old_overdue[idx], self.pending_deadline[idx]),
            self.old_overdue[idx],
        )
        self.pending_year[idx] = year - 1
        self.pending_deadline[idx] = _month_start(year, 7) / MONTH_DAYS
        weight = self.year_weight[idx]
        self.fy_health[idx] = np.where(
            weight > 0, self.year_health[idx] / np.maximum(weight, 1e-9), self.h[idx]
        )
        self.year_health[:] = 0.0
        self.year_weight[:] = 0.0

    # -------------------------------------------------------------------------- tax debt
    def _advance_debt(self, alive: np.ndarray, a: int, b: int) -> None:
        """Tax arrears of living companies: arrival and growth (active ones), interest, partial
        and full payment, payment schedules and disputes."""
        r, rng = self.r, self.rng
        dtm = (b - a) / MONTH_DAYS
        ht = self.h[alive] + self.c.tax_trait[alive]
        debt = self.debt[alive]
        is_active = self.status[alive] == R
        has = debt > 0
        scale = self.c.size[alive] * r.debt_size_share

        # interest on everything owed, then schedules that ended
        debt = debt * math.exp(r.debt_interest_daily * (b - a))
        ended = self.schedule_end[alive] <= b
        self.scheduled[alive] = np.where(ended, 0.0, self.scheduled[alive])
        self.schedule_end[alive] = np.where(ended, OPEN, self.schedule_end[alive])

        # new arrears: a first debt, or more while in debt
        arrive = (
            is_active
            & ~has
            & (
                rng.random(len(alive))
                < _prob(r.debt_arrival * np.exp(-r.debt_arrival_slope * ht), dtm)
            )
        )
        grow = (
            is_active
            & has
            & (
                rng.random(len(alive))
                < _prob(r.debt_growth * np.exp(-r.debt_growth_slope * ht), dtm)
            )
        )
        amount = scale * np.exp(rng.standard_normal(len(alive)))
        debt = debt + np.where(arrive | grow, amount, 0.0)
        day = self._event_days(len(alive), a, b)
        self.oldest_due[alive] = np.where(
            arrive, day - rng.integers(0, 25, len(alive)), self.oldest_due[alive]
        )
        dispute = arrive & (rng.random(len(alive)) < r.debt_disputed_share)
        self.disputed[alive] = np.where(
            dispute, amount * rng.uniform(0.2, 1.0, len(alive)), self.disputed[alive]
        )

        # payments: none once bankrupt; schedules double the pace
        can_pay = has & (self.status[alive] != N)
        pay_rate = (
            r.debt_payoff
            * np.exp(r.debt_payoff_slope * ht)
            * np.where(self.scheduled[alive] > 0, 2.0, 1.0)
        )
        cleared = can_pay & (rng.random(len(alive)) < _prob(pay_rate, dtm))
        partial = can_pay & ~cleared & (rng.random(len(alive)) < _prob(r.debt_partial_payment, dtm))
        debt = np.where(partial, debt * rng.uniform(0.3, 0.9, len(alive)), debt)
        newer = np.minimum(day - rng.integers(0, 60, len(alive)), b)
        self.oldest_due[alive] = np.where(
            partial & (rng.random(len(alive)) < PARTIAL_PAYS_OLDEST),
            np.maximum(self.oldest_due[alive], newer),
            self.oldest_due[alive],
        )
        start = (
            is_active
            & has
            & ~cleared
            & (self.scheduled[alive] == 0)
            & (debt > 500)
            & (rng.random(len(alive)) < _prob(r.debt_schedule_rate, dtm))
        )
        self.scheduled[alive] = np.where(
            start, debt * rng.uniform(0.6, 1.0, len(alive)), self.scheduled[alive]
        )
        self.schedule_end[alive] = np.where(
            start, day + rng.integers(180, 730, len(alive)), self.schedule_end[alive]
        )

        debt = np.where(cleared, 0.0, debt)
        gone = debt <= 0
        self.debt[alive] = debt
        self.disputed[alive] = np.where(gone, 0.0, np.minimum(self.disputed[alive], debt))
        self.scheduled[alive] = np.where(gone, 0.0, np.minimum(self.scheduled[alive], debt))
        self.schedule_end[alive] = np.where(
            gone | (self.scheduled[alive] == 0), OPEN, self.schedule_end[alive]
        )
        self.oldest_due[alive] = np.where(gone, OPEN, self.oldest_due[alive])

    # -------------------------------------------------------------------- tax payments
    def _payments(self, a: int, b: int) -> None:
        """At each quarter end, the quarter's taxes, turnover and employees of trading companies.

        EMTA's quarters are not calendar quarters (I = December to February, ..., IV =
        September to November): a quarter ends on the last day of February, May, August or
        November and is published ten days later."""
        b_date = np.datetime64(b, "D").astype(object)
        q_start = _day(F.quarter_period(*F.quarter_of(b_date))[0])
        if not a < q_start <= b:
            return
        q_end = q_start - 1
        q_year, quarter = F.quarter_of(np.datetime64(q_end, "D").astype(object))
        period_start = _day(F.quarter_period(q_year, quarter)[0])
        r, rng, c = self.r, self.rng, self.c
        idx = np.flatnonzero(((self.status == R) | (self.status == L)) & (c.reg_day <= q_end))
        h = self.h[idx]
        trading = rng.random(len(idx)) < _sigmoid(3.0 * (h - r.dormant_health))
        winding = np.where(self.status[idx] == L, 0.3, 1.0)
        start = np.maximum(c.reg_day[idx], period_start)
        share = (q_end + 1 - start) / (q_end + 1 - period_start)
        turnover = (
            trading
            * winding
            * share
            * c.size[idx]
            / 4
            * np.exp(0.5 * h + 0.3 * rng.standard_normal(len(idx)))
        )
        employees = np.floor(
            trading * winding * c.employees[idx] * np.exp(0.3 * h) + rng.random(len(idx))
        )
        labour = (
            employees
            * 3
            * AVERAGE_WAGE
            * LABOUR_TAX_RATE
            * np.exp(0.1 * rng.standard_normal(len(idx)))
        )
        state = labour + turnover * (0.005 + 0.045 * c.vat[idx]) * np.exp(
            0.3 * rng.standard_normal(len(idx))
        )
        keep = (turnover > 0) | (labour > 0)
        self.log_payments.append(
            {
                "company": idx[keep],
                "year": np.full(int(keep.sum()), q_year),
                "quarter": np.full(int(keep.sum()), quarter),
                "state_taxes": np.round(state[keep], 2),
                "labour_taxes": np.round(labour[keep], 2),
                "turnover": np.round(turnover[keep], 2),
                "employees": employees[keep],
                "published": np.full(int(keep.sum()), q_end + PAYMENTS_PUBLISHED_AFTER_DAYS),
            }
        )

    # -------------------------------------------------------------------------- records
    def _record(self, day: int, monthly: bool) -> None:
        """The drop's debtor list; at monthly drops also the latent state and the true PD."""
        listed = np.flatnonzero((self.status >= R) & (self.status < K) & (self.debt > 0))
        self.log_debts.append(
            {
                "company": listed,
                "as_of": np.full(len(listed), day),
                "debt": np.round(self.debt[listed], 2),
                "disputed": np.round(self.disputed[listed], 2),
                "scheduled": np.round(self.scheduled[listed], 2),
                "schedule_end": self.schedule_end[listed].copy(),
                "oldest_due": self.oldest_due[listed].copy(),
            }
        )
        if not monthly:
            return
        alive = np.flatnonzero((self.status >= R) & (self.status < K))
        t = day / MONTH_DAYS
        self.log_latent.append(
            {
                "company": alive,
                "month": np.full(len(alive), day),
                "status": self.status[alive].copy(),
                "health": self.h[alive].copy(),
                "target": self._target(alive, day),
                "board_trust": self.trust[alive].copy(),
                "contagion": self.contagion[alive].copy(),
                "months_overdue": np.maximum(
                    _months_overdue(t, self.pending_deadline[alive], self.old_overdue[alive]), 0.0
                ),
                "tax_debt": self.debt[alive].copy(),
            }
        )
        # the oracle's Monte Carlo is most of the simulation's time: only at the months the
        # features are snapshotted on (synth.truth_every, quarterly like features.snapshot_every)
        if (pd.Timestamp(np.datetime64(day, "D")).month - 1) % self.truth_every_months:
            return
        active = alive[self.status[alive] == R]
        self.log_pd.append(
            {
                "company": active,
                "month": np.full(len(active), day),
                "pd_12m": self._forward_pd(active, day),
            }
        )

    def _forward_pd(self, idx: np.ndarray, day: int) -> np.ndarray:
        """P(default within 12 months) by Monte Carlo over each company's latent path.

        Health, report filing and the yearly report cycle are simulated along `truth_paths`
        paths with the same functions as the world itself; the exit events are not sampled but
        integrated: the default probability of each month is the survival so far times the
        chance that the month's exit (out of the competing N, K and L) is a default. Board trust
        and contagion stay at today's values.
        """
        r, rng, c = self.r, self.oracle_rng, self.c
        paths = max(1, int(r.truth_paths))
        shape = (paths, len(idx))
        h = np.broadcast_to(self.h[idx], shape).copy()
        pend_year = np.broadcast_to(self.pending_year[idx], shape).copy()
        pend_deadline = np.broadcast_to(self.pending_deadline[idx], shape).copy()
        old = np.broadcast_to(self.old_overdue[idx], shape).copy()
        size_factor, diligence = c.size_factor[idx], c.diligence[idx]
        fixed = c.base[idx] + r.trust_weight * self.trust[idx] - self.contagion[idx]
        # tax debt along the path: only whether there is one and since when its oldest claim is
        # due (the amount enters no hazard); payment schedules keep today's state
        debt_since = np.broadcast_to(
            np.where(self.debt[idx] > 0, self.oldest_due[idx], OPEN).astype(float), shape
        ).copy()
        tax_trait = c.tax_trait[idx]
        pay_factor = np.where(self.scheduled[idx] > 0, 2.0, 1.0)
        start = pd.Timestamp(np.datetime64(day, "D"))
        months = np.array([_day(start + pd.DateOffset(months=j)) for j in range(13)])
        survive = np.ones(shape)
        pd_12m = np.zeros(shape)
        for a, b in zip(months[:-1], months[1:], strict=True):
            dtm = (b - a) / MONTH_DAYS
            t = a / MONTH_DAYS
            debt_months = np.where(debt_since < OPEN, (a - debt_since) / MONTH_DAYS, -np.inf)
            lam_n, lam_k, lam_l = _exit_rates(
                h, size_factor, _months_overdue(t, pend_deadline, old), debt_months, r
            )
            lam = lam_n + lam_k + lam_l
            p_exit = _prob(lam, dtm)
            pd_12m += survive * p_exit * (lam_n + lam_k) / lam
            survive *= 1.0 - p_exit
            rate = _filing_rate(h, diligence, t < pend_deadline, r)
            filed = (pend_year > 0) & (rng.random(shape) < _prob(rate, dtm))
            pend_year[filed], pend_deadline[filed], old[filed] = 0, np.inf, np.inf
            ht = h + tax_trait
            in_debt = debt_since < OPEN
            arrive = ~in_debt & (
                rng.random(shape) < _prob(r.debt_arrival * np.exp(-r.debt_arrival_slope * ht), dtm)
            )
            cleared = in_debt & (
                rng.random(shape)
                < _prob(r.debt_payoff * np.exp(r.debt_payoff_slope * ht) * pay_factor, dtm)
            )
            # as in the world: a new claim fell due up to 25 days before it is listed, and a
            # partial payment that settles the oldest claims makes the debt younger, which is
            # what keeps many debtors below the creditor-petition age
            day = rng.uniform(a, b, shape)
            settle_oldest = (
                in_debt
                & ~cleared
                & (rng.random(shape) < _prob(r.debt_partial_payment, dtm) * PARTIAL_PAYS_OLDEST)
            )
            newer = np.minimum(day - rng.integers(0, 60, shape), b)
            debt_since = np.where(settle_oldest, np.maximum(debt_since, newer), debt_since)
            debt_since = np.where(
                arrive,
                day - rng.integers(0, 25, shape),
                np.where(cleared, float(OPEN), debt_since),
            )
            age = (a - c.reg_day[idx]) / MONTH_DAYS
            target = (
                fixed + c.beta[idx] * _cycle(a, r) - r.young_penalty * np.exp(-age / r.young_months)
            )
            h = _health_step(h, target, dtm, r, rng)
            year = int(_year_of(b))
            if a < _month_start(year, 1) <= b:
                old = np.where(pend_year > 0, np.minimum(old, pend_deadline), old)
                pend_year[:] = year - 1
                pend_deadline[:] = _month_start(year, 7) / MONTH_DAYS
        return pd_12m.mean(axis=0)

    # ---------------------------------------------------------------------------- world
    def world(self, drops: list[pd.Timestamp], surface: np.random.Generator) -> World:
        """Read the logs out into the World tables; `surface` draws only what makes the files
        look real (see the module docstring), after every draw of the simulation's own
        generator."""
        c, rng = self.c, self.rng
        company_id = ident.registry_codes(c.n, rng)
        persons = self._persons_table(surface)
        last_day = _day(drops[-1])
        companies = self._companies_table(company_id, last_day, persons, surface)
        status = self._status_table(company_id)
        roles = self._roles_table(company_id, persons["person_id"].to_numpy(dtype=object), surface)
        debts = self._debts_table(company_id)
        reports = ident.report_surface(
            self._reports_table(company_id, last_day), companies, surface
        )
        return World(
            drop_dates=drops,
            persons=persons,
            companies=companies,
            status_events=status,
            board_roles=roles,
            tax_debts=debts,
            annual_reports=reports,
            tax_payments=self._payments_table(company_id, last_day),
            truth_latent=self._latent_table(company_id),
            truth_exits=self._exits_table(company_id),
            truth_pd=self._pd_table(company_id),
            card_roles=ident.card_roles(companies, status, roles, persons, drops[-1], surface),
        )

    def _persons_table(self, surface: np.random.Generator) -> pd.DataFrame:
        p = self.persons
        ids = ident.persons(p.size, self.rng)
        ids = ident.make_foreign(ids, surface.random(p.size) < ident.FOREIGN_PERSON_SHARE, surface)
        return ids.assign(trust=p["trust"].copy(), serial=p["serial"].copy())[
            [
                "person_id",
                "first_name",
                "last_name",
                "birth_date",
                "personal_code",
                "foreign",
                "country",
                "town",
                "trust",
                "serial",
            ]
        ]

    def _companies_table(
        self,
        company_id: np.ndarray,
        last_day: int,
        persons: pd.DataFrame,
        surface: np.random.Generator,
    ) -> pd.DataFrame:
        c, rng = self.c, self.rng
        forms = cat.LEGAL_FORMS
        words = np.empty(c.n, dtype=object)
        activity = np.empty((c.n, 4), dtype=object)  # EMTAK 2008 code, text, 2025 code, text
        for s, sector in enumerate(cat.SECTORS):  # a loop over the 18 sections
            rows = np.flatnonzero(c.sector == s)
            words[rows] = np.array(sector.words, dtype=object)[
                rng.integers(0, len(sector.words), len(rows))
            ]
            pick = rng.integers(0, len(sector.activities), len(rows))
            activity[rows] = np.array(sector.activities, dtype=object)[pick]
        legal_code = np.array([f.code for f in forms], dtype=object)[c.legal]
        ehak, address = ident.addresses(c.county, rng)
        vat_from = np.where(c.vat, c.reg_day + rng.integers(0, 400, c.n), OPEN)
        vat_from = np.where(vat_from < self.exit_day, vat_from, OPEN)
        vat_from = np.where(vat_from <= last_day, vat_from, OPEN)
        vat_until = np.where(vat_from != OPEN, self.exit_day, OPEN)
        vat_number = np.where(vat_from != OPEN, ident.vat_numbers(c.n, rng), "")
        names = ident.company_names(words, legal_code, rng)

        # surface: EMTAK 2025 from the first report filed in 2025 or later at most companies
        # (from registration for companies born since), a capital change at a few companies,
        # contact e-mails
        cutover = _day(EMTAK_2025_FROM)
        reports = _concat(self.log_reports, ("company", "submitted"), ())
        later = (reports["submitted"] >= cutover) & (reports["submitted"] <= last_day)
        first_2025 = np.full(c.n, OPEN, dtype=np.int64)
        np.minimum.at(first_2025, reports["company"][later], reports["submitted"][later])
        adopts = surface.random(c.n) < EMTAK_2025_ADOPTION
        emtak_2025_from = np.where(
            c.reg_day >= cutover, c.reg_day, np.where(adopts, first_2025, OPEN)
        )
        emtak_2025_from = np.where(emtak_2025_from <= last_day, emtak_2025_from, OPEN)
        life_end = np.minimum(self.exit_day, last_day)
        changed = (surface.random(c.n) < CAPITAL_CHANGE_SHARE) & (life_end - c.reg_day > 400)
        changed_on = c.reg_day + 180 + (surface.random(c.n) * (life_end - c.reg_day - 180))
        changed_on = np.where(changed, changed_on.astype(np.int64), OPEN)
        factor = surface.choice(np.array([2.0, 4.0, 10.0]), c.n)
        capital_new = np.where(
            c.capital <= 0, 2500.0, np.where(c.capital == 2556.0, 2500.0, c.capital * factor)
        )
        founder = np.full(c.n, -1, dtype=np.int64)  # the first board member of each company
        ro = self.roles
        order = np.lexsort((ro["start"], ro["company"]))
        with_board, first_tenure = np.unique(ro["company"][order], return_index=True)
        founder[with_board] = ro["person"][order][first_tenure]
        first = persons["first_name"].to_numpy(dtype=object)[np.maximum(founder, 0)]
        last = persons["last_name"].to_numpy(dtype=object)[np.maximum(founder, 0)]
        first = np.where(founder >= 0, first, "")
        duplicate = np.zeros(c.n, dtype=bool)
        duplicate[surface.choice(c.n, min(c.n, max(6, round(c.n * 7e-5))), replace=False)] = True
        return pd.DataFrame(
            {
                "company_id": pd.Series(company_id, dtype="str"),
                "name": pd.Series(names, dtype="str"),
                "legal_form": pd.Series(
                    np.array([f.text for f in forms], dtype=object)[c.legal], dtype="str"
                ),
                "legal_form_code": pd.Series(legal_code, dtype="str"),
                "legal_form_subtype": pd.Series([""] * c.n, dtype="str"),
                "registered_on": _to_datetime(c.reg_day),
                "capital": c.capital.astype(np.float64),
                "capital_new": np.where(changed_on != OPEN, capital_new, np.nan),
                "capital_changed_on": _to_datetime(changed_on),
                "sector": pd.Series(
                    np.array([s.letter for s in cat.SECTORS])[c.sector], dtype="str"
                ),
                "emtak_code": pd.Series(activity[:, 0], dtype="str"),
                "emtak_text": pd.Series(activity[:, 1], dtype="str"),
                "emtak_2025_code": pd.Series(activity[:, 2], dtype="str"),
                "emtak_2025_text": pd.Series(activity[:, 3], dtype="str"),
                "emtak_2025_from": _to_datetime(emtak_2025_from),
                "ehak_code": pd.Series(ehak, dtype="str"),
                "county": pd.Series(
                    np.array([x.name for x in cat.COUNTIES])[c.county], dtype="str"
                ),
                "address": pd.Series(address, dtype="str"),
                "postcode": pd.Series(ident.postcodes(ehak, surface), dtype="str"),
                "email": pd.Series(ident.emails(names, first, last, surface), dtype="str"),
                "vat_from": _to_datetime(vat_from),
                "vat_until": _to_datetime(vat_until),
                "vat_number": pd.Series(vat_number, dtype="str"),
                "card_region": surface.choice(
                    np.arange(1, 6), c.n, p=[0.35, 0.15, 0.1, 0.1, 0.3]
                ).astype(np.int64),
                "card_duplicate": duplicate,
            }
        )

    def _status_table(self, company_id: np.ndarray) -> pd.DataFrame:
        comp = np.concatenate([s[0] for s in self.log_status])
        code = np.concatenate([np.full(len(s[0]), s[1]) for s in self.log_status])
        day = np.concatenate([s[2] for s in self.log_status])
        order = np.lexsort((code, day, comp))  # per company by date; same day: R L N K order
        return pd.DataFrame(
            {
                "company_id": pd.Series(company_id[comp[order]], dtype="str"),
                "status": pd.Series(STATUS_LETTER[code[order]], dtype="str"),
                "start_date": _to_datetime(day[order]),
            }
        )

    def _roles_table(
        self, company_id: np.ndarray, person_id: np.ndarray, surface: np.random.Generator
    ) -> pd.DataFrame:
        """Board tenures. The role code is surface: a sole member is sometimes entered as
        `JUHA`, the first member of a larger board sometimes as chairman `JUHE`."""
        ro = self.roles
        order = np.lexsort((ro["start"], ro["company"]))
        company = ro["company"][order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = company[1:] != company[:-1]
        sole = self.c.board_size[company] == 1
        u = surface.random(len(order))
        role = np.where(
            sole & (u < SOLE_MEMBER_CODE_SHARE),
            "JUHA",
            np.where(~sole & first & (u < CHAIR_CODE_SHARE), "JUHE", "JUHL"),
        )
        return pd.DataFrame(
            {
                "company_id": pd.Series(company_id[company], dtype="str"),
                "person_id": pd.Series(person_id[ro["person"][order]], dtype="str"),
                "role": pd.Series(role, dtype="str"),
                "start_date": _to_datetime(ro["start"][order]),
                "end_date": _to_datetime(ro["end"][order]),
                "kirje_id": (100_000_000 + order).astype(np.int64),
            }
        )

    def _debts_table(self, company_id: np.ndarray) -> pd.DataFrame:
        cols = {k: np.concatenate([d[k] for d in self.log_debts]) for k in self.log_debts[0]}
        return pd.DataFrame(
            {
                "company_id": pd.Series(company_id[cols["company"]], dtype="str"),
                "as_of": _to_datetime(cols["as_of"]),
                "debt": cols["debt"],
                "disputed": cols["disputed"],
                "scheduled": cols["scheduled"],
                "schedule_end": _to_datetime(cols["schedule_end"]),
                "oldest_due": _to_datetime(cols["oldest_due"]),
            }
        )

    def _reports_table(self, company_id: np.ndarray, last_day: int) -> pd.DataFrame:
        """Annual reports filed up to the last drop, with financials reflecting the year's health.

        Equity accumulates each company's reported profits on top of its share capital, so a
        run of losses shows up as thin or negative equity, as in real balance sheets.
        """
        c, rng = self.c, self.rng
        cols = _concat(self.log_reports, ("company", "fiscal_year", "submitted"), ("health",))
        keep = cols["submitted"] <= last_day
        cols = {k: v[keep] for k, v in cols.items()}
        order = np.lexsort((cols["fiscal_year"], cols["company"]))
        cols = {k: v[order] for k, v in cols.items()}
        comp, fy, hy = cols["company"], cols["fiscal_year"], cols["health"]
        m = len(comp)
        jan1 = _month_start(fy, 1)
        period_start = np.maximum(jan1, c.reg_day[comp])
        period_end = _month_start(fy + 1, 1) - 1
        share = (period_end + 1 - period_start) / 365.0
        revenue = share * c.size[comp] * np.exp(0.4 * hy + 0.25 * rng.standard_normal(m))
        profit = revenue * (0.02 + 0.05 * hy + 0.06 * rng.standard_normal(m))
        equity = c.capital[comp] + pd.Series(profit).groupby(comp).cumsum().to_numpy()
        liabilities = revenue * 0.35 * np.exp(-0.25 * hy + 0.4 * rng.standard_normal(m))
        liabilities = np.where(
            equity + liabilities <= 0, -equity + 0.05 * revenue + 100.0, liabilities
        )
        assets = equity + liabilities
        current_liab = liabilities * rng.uniform(0.5, 1.0, m)
        current_assets = assets * rng.uniform(0.4, 0.95, m)
        cash = current_assets * rng.uniform(0.05, 0.6, m) * _sigmoid(hy + 1.0)
        employees = np.floor(c.employees[comp] * np.exp(0.3 * hy) + rng.random(m))
        labour = (
            employees
            * 12
            * AVERAGE_WAGE
            * (1 + LABOUR_TAX_RATE)
            * np.exp(0.1 * rng.standard_normal(m))
        )
        by_submission = np.lexsort((comp, cols["submitted"]))
        report_no = np.empty(m, dtype=np.int64)
        report_no[by_submission] = np.arange(m)
        return pd.DataFrame(
            {
                "report_id": pd.Series((2_000_000 + report_no).astype(str), dtype="str"),
                "company_id": pd.Series(company_id[comp], dtype="str"),
                "fiscal_year": fy.astype(np.int64),
                "period_start": _to_datetime(period_start),
                "period_end": _to_datetime(period_end),
                "submitted_on": _to_datetime(cols["submitted"]),
                "audited": (c.legal[comp] == 1)
                | (revenue > 4e6)
                | (employees > 50)
                | (rng.random(m) < 0.03),
                "consolidated": (c.legal[comp] == 1) & (rng.random(m) < 0.1),
                "revenue": np.round(revenue, 0),
                "net_profit": np.round(profit, 0),
                "equity": np.round(equity, 0),
                "assets": np.round(assets, 0),
                "current_assets": np.round(current_assets, 0),
                "current_liabilities": np.round(current_liab, 0),
                "non_current_liabilities": np.round(liabilities - current_liab, 0),
                "cash": np.round(cash, 0),
                "labour_expense": np.round(labour, 0),
                "employees": employees.astype(np.float64),
            }
        )

    def _payments_table(self, company_id: np.ndarray, last_day: int) -> pd.DataFrame:
        cols = _concat(
            self.log_payments,
            ("company", "year", "quarter", "published"),
            ("state_taxes", "labour_taxes", "turnover", "employees"),
        )
        keep = cols["published"] <= last_day
        return pd.DataFrame(
            {
                "company_id": pd.Series(company_id[cols["company"][keep]], dtype="str"),
                "year": cols["year"][keep].astype(np.int64),
                "quarter": cols["quarter"][keep].astype(np.int64),
                "state_taxes": cols["state_taxes"][keep].astype(np.float64),
                "labour_taxes": cols["labour_taxes"][keep].astype(np.float64),
                "turnover": cols["turnover"][keep].astype(np.float64),
                "employees": cols["employees"][keep].astype(np.float64),
                "published_on": _to_datetime(cols["published"][keep]),
            }
        )

    def _latent_table(self, company_id: np.ndarray) -> pd.DataFrame:
        cols = {k: np.concatenate([d[k] for d in self.log_latent]) for k in self.log_latent[0]}
        frame = pd.DataFrame(
            {k: v for k, v in cols.items() if k not in ("company", "month", "status")}
        )
        frame.insert(0, "company_id", pd.Series(company_id[cols["company"]], dtype="str"))
        frame.insert(1, "month", _to_datetime(cols["month"]))
        frame.insert(2, "status", pd.Series(STATUS_LETTER[cols["status"]], dtype="str"))
        return frame

    def _exits_table(self, company_id: np.ndarray) -> pd.DataFrame:
        status = self._status_table(company_id)
        first_exit = status[status["status"] != "R"].drop_duplicates("company_id", keep="first")
        kind = first_exit["status"].map({"N": "bankrupt", "K": "deleted", "L": "liquidated"})
        return pd.DataFrame(
            {
                "company_id": first_exit["company_id"].astype("str").to_numpy(),
                "exit_date": first_exit["start_date"].to_numpy(dtype="datetime64[us]"),
                "kind": pd.Series(kind.to_numpy(), dtype="str"),
                "default": (first_exit["status"] != "L").to_numpy(),
            }
        ).reset_index(drop=True)

    def _pd_table(self, company_id: np.ndarray) -> pd.DataFrame:
        cols = {k: np.concatenate([d[k] for d in self.log_pd]) for k in self.log_pd[0]}
        return pd.DataFrame(
            {
                "company_id": pd.Series(company_id[cols["company"]], dtype="str"),
                "month": _to_datetime(cols["month"]),
                "pd_12m": cols["pd_12m"].astype(np.float64),
            }
        )


def _concat(
    log: list[dict[str, np.ndarray]], ints: tuple[str, ...], floats: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """Concatenate per-step records; a log that stayed empty gives empty typed columns."""
    empty = {k: np.zeros(0, dtype=np.int64) for k in ints} | {k: np.zeros(0) for k in floats}
    return {k: np.concatenate([v, *[d[k] for d in log]]) for k, v in empty.items()}
