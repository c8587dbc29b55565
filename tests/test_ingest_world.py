"""The hand-made world of the drop, ingest and scoring tests (`tiny_world` in builders.py, with
the list of its six companies) covers every case it is there for."""

from __future__ import annotations

import pandas as pd

from builders import tiny_world


def test_tiny_world_covers_every_case():
    w = tiny_world()
    events = w.status_events
    assert set(events["status"]) == {"R", "L", "N", "K"}
    assert (w.board_roles["end_date"].notna()).any()  # a board change
    assert (w.tax_debts["debt"] >= 1_000_000).any()  # two thousands separators
    late = w.annual_reports["submitted_on"] > (
        w.annual_reports["period_end"] + pd.DateOffset(months=6)
    )
    assert late.any()
    years = set(w.tax_payments["year"])
    assert min(years) < 2020 <= max(years)  # both tax-payment generations
    first, last = min(w.drop_dates), max(w.drop_dates)
    born = w.companies["registered_on"]
    assert ((born > first) & (born < last)).any()
