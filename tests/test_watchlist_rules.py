"""The rules of a watchlist (`watchlists.select_alerts`) on hand-made alert rows, and the
watchlist file `--watchlist` reads: registry codes one a line, or YAML / JSON with rules."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from company_risk.scoring import ScoringError
from company_risk.scoring.alerts import ALERT_COLUMNS, KINDS
from company_risk.scoring.run import load_watchlist, read_watchlist
from company_risk.watchlists import SCORE_KINDS, WatchlistRules, make_watchlist, select_alerts

A, B, C = "10000001", "10000002", "10000003"
REGISTER_KINDS = [k for k in KINDS if k not in SCORE_KINDS]


def alert(company: str, kind: str, before: str = "", after: str = "", p: str = "") -> dict:
    return {
        "company_id": company,
        "date": "2025-10-03",
        "kind": kind,
        "before": before,
        "after": after,
        "detail": f"{kind} of {company}",
        "probability": p,
    }


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(ALERT_COLUMNS)).astype("str")


def watch(codes=(A, B, C), kinds=(), **rules) -> object:
    return make_watchlist("w", codes, KINDS, kinds=kinds, rules=rules or None)


def kept(alerts: pd.DataFrame, watchlist) -> list[tuple[str, str, str]]:
    got = select_alerts(alerts, watchlist)
    assert list(got.columns) == list(alerts.columns) and got.index.tolist() == list(range(len(got)))
    return list(zip(got["company_id"].astype("str"), got["kind"], got["after"], strict=True))


def every_register_event(company: str, p: str) -> list[dict]:
    return [alert(company, k, "x", "y", p) for k in REGISTER_KINDS]


def test_the_score_kinds_are_alert_kinds():
    assert set(SCORE_KINDS) <= set(KINDS)
    assert len(KINDS) == len(set(KINDS))


def test_without_rules_a_watchlist_keeps_its_companies_and_kinds():
    alerts = frame(
        alert(A, "class_worse", "II", "III", "0.05"),
        alert(B, "tax_debt_new", "0", "4,210", "0.02"),
        alert("10000009", "class_worse", "I", "V", "0.9"),  # not on the watchlist
    )
    assert kept(alerts, watch()) == [(A, "class_worse", "III"), (B, "tax_debt_new", "4,210")]
    assert kept(alerts, watch(kinds=("tax_debt_new",))) == [(B, "tax_debt_new", "4,210")]
    assert kept(alerts, watch(codes=(B,))) == [(B, "tax_debt_new", "4,210")]


def test_min_class_drop():
    alerts = frame(
        alert(A, "class_worse", "II", "III", "0.05"),  # one class: too small
        alert(A, "class_worse", "II", "IV", "0.12"),  # two classes
        alert(B, "class_worse", "I", "V", "0.60"),  # four
        alert(B, "class_better", "V", "I", "0.01"),  # never a drop
        alert(C, "probability_jump", "0.0100", "0.2000", "0.2"),  # no class moved
    )
    assert kept(alerts, watch(min_class_drop=2)) == [
        (A, "class_worse", "IV"),
        (B, "class_worse", "V"),
    ]
    assert kept(alerts, watch(min_class_drop=4)) == [(B, "class_worse", "V")]
    assert kept(alerts, watch(min_class_drop=1)) == [
        (A, "class_worse", "III"),
        (A, "class_worse", "IV"),
        (B, "class_worse", "V"),
    ]


def test_class_at_least():
    alerts = frame(
        alert(A, "class_worse", "I", "III", "0.05"),  # not into IV
        alert(A, "class_worse", "III", "IV", "0.12"),  # enters IV
        alert(B, "class_worse", "IV", "V", "0.60"),  # worse than IV
        alert(B, "class_better", "V", "IV", "0.15"),  # ends in IV, but better
        alert(C, "probability_jump", "0.0100", "0.2000", "0.2"),
    )
    assert kept(alerts, watch(class_at_least="IV")) == [
        (A, "class_worse", "IV"),
        (B, "class_worse", "V"),
    ]
    assert kept(alerts, watch(class_at_least="V")) == [(B, "class_worse", "V")]


def test_probability_at_least_on_every_score_alert():
    alerts = frame(
        alert(A, "class_worse", "II", "III", "0.05"),
        alert(A, "probability_jump", "0.0100", "0.1000", "0.1"),  # exactly the bar: kept
        alert(B, "class_worse", "II", "IV", "0.12"),
        alert(B, "class_better", "V", "IV", "0.15"),  # the rule on probability keeps it
        alert(C, "probability_jump", "0.3000", "0.0999", "0.09999999999999999"),
    )
    assert kept(alerts, watch(probability_at_least=0.1)) == [
        (A, "probability_jump", "0.1000"),
        (B, "class_worse", "IV"),
        (B, "class_better", "IV"),
    ]


def test_rules_combine_and_every_one_must_hold():
    alerts = frame(
        alert(A, "class_worse", "II", "IV", "0.25"),  # two classes, into IV, 25 %: kept
        alert(A, "class_worse", "II", "IV", "0.15"),  # probability too low
        alert(B, "class_worse", "III", "IV", "0.30"),  # one class only
        alert(B, "class_worse", "I", "III", "0.30"),  # two classes, but not into IV
        alert(C, "class_worse", "II", "V", "0.50"),  # all three hold
    )
    rules = {"min_class_drop": 2, "class_at_least": "IV", "probability_at_least": 0.2}
    assert kept(alerts, watch(**rules)) == [(A, "class_worse", "IV"), (C, "class_worse", "V")]


@pytest.mark.parametrize(
    "rules",
    [
        {"min_class_drop": 3},
        {"class_at_least": "V"},
        {"probability_at_least": 0.99},
        {"min_class_drop": 4, "class_at_least": "V", "probability_at_least": 0.99},
    ],
)
def test_register_events_always_pass_the_rules(rules):
    """A status change or a new tax debt is news whatever the score: the rules narrow only
    score-change alerts, also for a company not scored that day (probability "")."""
    alerts = frame(
        *every_register_event(A, "0.01"),
        *every_register_event(B, ""),
        alert(C, "class_worse", "I", "II", "0.02"),
        alert(C, "probability_jump", "0.0100", "0.0200", "0.02"),
    )
    got = select_alerts(alerts, watch(**rules))
    assert sorted(got["kind"]) == sorted(REGISTER_KINDS * 2)
    # a kind filter still applies to register events
    only = select_alerts(alerts, watch(kinds=("status_change",), **rules))
    assert only["kind"].tolist() == ["status_change", "status_change"]


def test_alerts_read_back_from_a_csv_file_select_the_same():
    """What the server reads from alerts.csv (numbers typed by pandas, "" as NaN) gives the
    rows the in-memory frame gives."""
    alerts = frame(
        alert(A, "class_worse", "II", "IV", "0.25"),
        alert(A, "status_change", "R", "N", ""),
        alert(B, "class_worse", "II", "III", "0.05"),
    )
    buffer = io.StringIO()
    alerts.to_csv(buffer, index=False)
    read = pd.read_csv(io.StringIO(buffer.getvalue()))  # company_id as int, probability float
    rules = watch(min_class_drop=2, probability_at_least=0.2)
    assert kept(read.astype({"before": "str"}), rules) == [
        ("10000001", "class_worse", "IV"),
        ("10000001", "status_change", "N"),
    ]


def test_an_alerts_file_without_probabilities_keeps_no_score_alert_under_the_rule():
    """An alerts.csv written before the `probability` column: no score alert can show that it
    meets `probability_at_least`, register events still pass, and without that rule nothing
    is lost."""
    alerts = frame(alert(A, "class_worse", "II", "IV"), alert(A, "tax_debt_new", "0", "10")).drop(
        columns="probability"
    )
    assert kept(alerts, watch(probability_at_least=0.1)) == [("10000001", "tax_debt_new", "10")]
    assert len(select_alerts(alerts, watch(min_class_drop=2))) == 2


def test_no_alert_and_a_frame_with_an_index_of_its_own():
    empty = frame()
    assert select_alerts(empty, watch(min_class_drop=2, probability_at_least=0.5)).empty
    alerts = frame(
        alert(A, "class_worse", "I", "IV", "0.3"), alert(B, "class_worse", "I", "II", "0.3")
    )
    shuffled = alerts.set_axis([7, 3])
    assert kept(shuffled, watch(min_class_drop=2)) == [(A, "class_worse", "IV")]


def test_rules_are_checked_when_made():
    with pytest.raises(ValueError, match="min_class_drop"):
        WatchlistRules(min_class_drop=0)
    with pytest.raises(ValueError, match="class_at_least"):
        WatchlistRules(class_at_least="VI")
    with pytest.raises(ValueError, match="probability_at_least"):
        WatchlistRules(probability_at_least=1.5)
    with pytest.raises(ValueError, match="unknown key"):
        WatchlistRules.from_dict({"min_drop": 2})


# ------------------------------------------------------------------------ watchlist files
def test_a_plain_codes_file_still_reads_and_is_named_by_its_stem(tmp_path):
    path = tmp_path / "my customers.txt"
    path.write_text(f"company_id\n{B}\n# a comment\n\n{A};Firma OÜ\n{A}\n", encoding="utf-8")
    watchlist = load_watchlist(path)
    assert watchlist.name == "my-customers" and watchlist.codes == (A, B)
    assert watchlist.kinds == () and watchlist.rules == WatchlistRules()
    assert read_watchlist(path) == frozenset({A, B})


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_a_yaml_or_json_file_carries_name_kinds_and_rules(tmp_path, suffix):
    body = {
        "name": "key-accounts",
        "codes": [A, B],
        "kinds": ["class_worse", "status_change"],
        "rules": {"min_class_drop": 2, "probability_at_least": 0.1},
    }
    path = tmp_path / f"list{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(body), encoding="utf-8")
    else:  # as a person writes YAML: codes as bare numbers
        path.write_text(
            "name: key-accounts\ncodes:\n  - 10000001\n  - 10000002\n"
            "kinds: [class_worse, status_change]\n"
            "rules:\n  min_class_drop: 2\n  probability_at_least: 0.1\n",
            encoding="utf-8",
        )
    watchlist = load_watchlist(path)
    assert watchlist.name == "key-accounts" and watchlist.codes == (A, B)
    assert watchlist.kinds == ("class_worse", "status_change")
    assert watchlist.rules == WatchlistRules(min_class_drop=2, probability_at_least=0.1)
    assert read_watchlist(path) == frozenset({A, B})


def test_a_structured_file_without_a_name_takes_its_stem(tmp_path):
    path = tmp_path / "suppliers.yaml"
    path.write_text(f'codes: ["{C}"]\n', encoding="utf-8")
    assert load_watchlist(path).name == "suppliers"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("codes: [1234567]\n", r"codes\[0\]"),
        ("codes: []\n", "codes"),
        ("name: x\n", "codes"),
        (f"codes: [{A}]\nkinds: [class_wrose]\n", "kinds"),
        (f"codes: [{A}]\nkinds: class_worse\n", "kinds"),
        (f"codes: [{A}]\nrules: {{min_class_drop: 0}}\n", "rules.min_class_drop"),
        (f"codes: [{A}]\nrules: {{class_at_least: VI}}\n", "rules.class_at_least"),
        (f"codes: [{A}]\nrules: {{probability_at_least: 2}}\n", "rules.probability_at_least"),
        (f"codes: [{A}]\nrules: {{jump: 1}}\n", "rules: unknown key"),
        (f"codes: [{A}]\nrules: [1]\n", "rules"),
        (f"codes: [{A}]\nname: 'no spaces please'\n", "watchlist name"),
        (f"codes: [{A}]\nwebhook: http://x\n", "unknown key.*webhook"),
        ("- 10000001\n", "expected a mapping"),
        ("codes: [\n", "not valid YAML"),
    ],
)
def test_a_bad_structured_file_names_the_file_and_the_field(tmp_path, text, field):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScoringError, match=field) as caught:
        load_watchlist(path)
    assert str(path) in str(caught.value)


def test_a_bad_json_file_is_named(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{codes: 1}", encoding="utf-8")
    with pytest.raises(ScoringError, match="not valid JSON") as caught:
        load_watchlist(path)
    assert str(path) in str(caught.value)
