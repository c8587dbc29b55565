"""The watchlist record and its checks (company_risk.watchlists): names, codes, kinds, webhook
URLs and rules. Which alerts a watchlist gets (`select_alerts`): test_watchlist_rules.py."""

import pytest

from company_risk.errors import CompanyRiskError
from company_risk.schemas import RISK_CLASSES
from company_risk.scoring.alerts import KINDS
from company_risk.watchlists import (
    MAX_CODES,
    Watchlist,
    WatchlistError,
    WatchlistRules,
    check_codes,
    check_kinds,
    check_name,
    check_webhook_url,
    make_watchlist,
)


def test_make_watchlist_checks_and_normalises():
    w = make_watchlist(
        "credit-team_1",
        ["10000003", "10000001", "10000003"],
        KINDS,
        ["tax_debt_new", "class_worse", "tax_debt_new"],
        "https://hooks.example.org/x?y=1",
        {"min_class_drop": 2, "class_at_least": "IV"},
    )
    assert w == Watchlist(
        name="credit-team_1",
        codes=("10000001", "10000003"),  # sorted, once each
        kinds=("tax_debt_new", "class_worse"),  # as asked, once each
        webhook_url="https://hooks.example.org/x?y=1",
        rules=WatchlistRules(min_class_drop=2, class_at_least="IV"),
    )
    assert w.to_dict() == {
        "name": "credit-team_1",
        "codes": ["10000001", "10000003"],
        "kinds": ["tax_debt_new", "class_worse"],
        "webhook_url": "https://hooks.example.org/x?y=1",
        "rules": {"min_class_drop": 2, "class_at_least": "IV", "probability_at_least": None},
    }
    empty = make_watchlist("e", [], KINDS)
    assert (empty.codes, empty.kinds, empty.webhook_url) == ((), (), None)
    assert empty.rules == WatchlistRules()


def test_watchlists_are_frozen_values():
    w = make_watchlist("w", ["10000001"], KINDS)
    with pytest.raises(AttributeError):
        w.codes = ("10000002",)
    assert w == make_watchlist("w", ["10000001"], KINDS)
    assert hash(w) == hash(make_watchlist("w", ["10000001"], KINDS))


@pytest.mark.parametrize("name", ["a", "A", "0", "credit-team_1", "x" * 64, "9_-"])
def test_good_names(name):
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "-a", "_a", "x" * 65, "a/b", "a\\b", "a.b", ".", "..", "a\x00", "ä", " a", "a ", "a\n"]
    + [None, 1, b"abc"],
)
def test_bad_names(name):
    with pytest.raises(WatchlistError, match="watchlist name"):
        check_name(name)
    with pytest.raises(WatchlistError, match="my thing"):
        check_name(name, "my thing")


def test_codes_are_8_ascii_digits_and_the_first_bad_one_is_named():
    assert check_codes(iter(["10000002", "10000001"])) == ("10000001", "10000002")
    for bad, position in (
        (["10000001", "1000001"], 1),
        (["100000001"], 0),
        (["10000001", "10000002", "1000000a"], 2),
        (["١٠٠٠٠٠٠١"], 0),  # digits, but not ASCII ones
        (["10000001\n"], 0),
        ([10000001], 0),
        ([None], 0),
    ):
        with pytest.raises(WatchlistError, match=rf"codes\[{position}\]"):
            check_codes(bad)


def test_at_most_max_codes_companies():
    codes = [f"{10_000_000 + i}" for i in range(MAX_CODES)]
    assert len(check_codes(codes + codes[:10])) == MAX_CODES  # repeats count once
    with pytest.raises(WatchlistError, match=str(MAX_CODES)):
        check_codes([*codes, "99999999"])


def test_kinds_known_once_each_in_order():
    assert check_kinds([], KINDS) == ()
    assert check_kinds(["board_added", "class_worse", "board_added"], KINDS) == (
        "board_added",
        "class_worse",
    )
    with pytest.raises(WatchlistError, match="'bankrupt' is not an alert kind"):
        check_kinds(["class_worse", "bankrupt"], KINDS)
    with pytest.raises(WatchlistError, match="kinds"):
        make_watchlist("w", [], KINDS, ["Class_Worse"])


@pytest.mark.parametrize(
    "url",
    [
        None,
        "http://example.org",
        "https://example.org/hook",
        "http://127.0.0.1:9000/hook",  # where it points: the server's check (webhooks)
        "https://[2001:db8::1]:8443/a?b=c",
    ],
)
def test_good_webhook_urls(url):
    assert check_webhook_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "ftp://example.org/",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "example.org/hook",
        "//example.org/hook",
        "http://",
        "http:///path",
        "http://user:pw@example.org/",
        "http://user@example.org/",
        "http://example.org:port/",
        "http://example.org:99999/",
        5,
    ],
)
def test_bad_webhook_urls(url):
    with pytest.raises(WatchlistError, match="webhook_url"):
        check_webhook_url(url)


def test_rules():
    assert WatchlistRules.from_dict(None) == WatchlistRules() == WatchlistRules.from_dict({})
    full = {"min_class_drop": 1, "class_at_least": "V", "probability_at_least": 0.25}
    assert WatchlistRules.from_dict(full).to_dict() == full
    for klass in RISK_CLASSES:
        assert WatchlistRules(class_at_least=klass).class_at_least == klass
    for bad in (
        {"min_class_drop": 0},
        {"min_class_drop": -1},
        {"min_class_drop": 1.5},
        {"min_class_drop": True},
        {"min_class_drop": "2"},
        {"class_at_least": "VI"},
        {"class_at_least": "iv"},
        {"probability_at_least": 0},
        {"probability_at_least": 1},
        {"probability_at_least": 1.5},
        {"probability_at_least": True},
        {"probability_at_least": "0.5"},
        {"probability_at_least": float("nan")},
        {"min_drop": 1},
    ):
        (field,) = bad
        with pytest.raises(WatchlistError, match=field):
            WatchlistRules.from_dict(bad)


def test_watchlist_error_is_a_named_value_error():
    assert issubclass(WatchlistError, CompanyRiskError)
    assert issubclass(WatchlistError, ValueError)
