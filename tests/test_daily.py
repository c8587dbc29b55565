"""`company-risk daily`: which day to score, and the real-data download (from a local HTTP
server on 127.0.0.1, never the internet)."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import io
import re
import threading
import zipfile
from pathlib import Path

import pytest

from company_risk import formats
from company_risk.config import ConfigError, ScoringConfig, load_params, params_from_dict
from company_risk.scoring import ScoringError
from company_risk.scoring.daily import fetch_drop, next_unscored

D = dt.date


def test_next_unscored_drop():
    drops = [D(2025, 10, 1), D(2025, 10, 2), D(2025, 10, 3)]
    assert next_unscored(drops, []) == D(2025, 10, 3)
    assert next_unscored(drops, [D(2025, 10, 1)]) == D(2025, 10, 2)
    assert next_unscored(drops, [D(2025, 10, 1), D(2025, 10, 3)]) is None
    assert next_unscored([], []) is None


def _zip(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/site over HTTP on an ephemeral port, in a thread."""
    site = tmp_path / "site"
    site.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield site, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def csv_bytes(columns, rows=(), sep=";", quoted=False, end="\n", encoding="utf-8-sig") -> bytes:
    """A CSV file in a published layout: its header line and rows."""

    def line(fields) -> str:
        return sep.join(f'"{f}"' if quoted else str(f) for f in fields)

    return "".join(line(r) + end for r in [columns, *rows]).encode(encoding)


BASIC = csv_bytes(formats.RIK_BASIC_COLUMNS)
DEBTORS = csv_bytes(formats.TAX_DEBTORS_COLUMNS)
REPORTS_CSV = csv_bytes(formats.REPORTS_GENERAL_COLUMNS, quoted=True, end="\r\n", encoding="utf-8")
ELEMENTS_CSV = csv_bytes(
    formats.REPORTS_ELEMENTS_COLUMNS,
    [("1", "Bilanss", "Varad", "Assets", str(n)) for n in range(1000)],
    quoted=True,
    end="\r\n",
    encoding="utf-8",
)


def payments_csv(*rows) -> bytes:
    return csv_bytes(formats.TAX_PAYMENTS_COLUMNS, rows, sep=",", quoted=True)


def _daily_site(site, base) -> dict[str, str]:
    """The four daily files every drop needs, served from `site`: file name in the drop -> URL."""
    urls = {}
    for name in (formats.RIK_BASIC, formats.RIK_GENERAL, formats.RIK_PERSONS):
        (site / f"{name}.zip").write_bytes(_zip(name, b"[]\n" if name.endswith("json") else BASIC))
        urls[f"{name}.zip"] = f"{base}/{name}.zip"
    # EMTA's share link: the URL's last segment is not the file name in the drop
    share = site / "s" / "Tok3n" / "download"
    share.mkdir(parents=True)
    (share / "list").write_bytes(DEBTORS)
    urls[formats.TAX_DEBTORS] = f"{base}/s/Tok3n/download/list"
    return urls


def _config(urls, periodic=None) -> ScoringConfig:
    return ScoringConfig(urls=urls, periodic_urls=periodic or {}, download_timeout_s=10)


REPORTS = "1.aruannete_yldandmed_kuni_30062026"
ELEMENTS = "4.2025_aruannete_elemendid_kuni_30062026"
PAYMENTS = "tasutud_maksud_kaesolev_aasta_eng.csv"


def test_real_drop_is_downloaded_whole_into_a_new_dated_folder(server, tmp_path):
    site, base = server
    urls = _daily_site(site, base)
    raw = tmp_path / "raw"
    folder = fetch_drop(_config(urls), raw, D(2025, 10, 3))
    assert folder == raw / "2025-10-03"
    assert sorted(p.name for p in folder.iterdir()) == sorted(urls)
    basic = f"{formats.RIK_BASIC}.zip"
    assert (folder / basic).read_bytes() == (site / basic).read_bytes()
    debtors = (site / "s" / "Tok3n" / "download" / "list").read_bytes()
    assert (folder / formats.TAX_DEBTORS).read_bytes() == debtors
    assert [p.name for p in raw.iterdir()] == ["2025-10-03"]
    # raw drops are immutable: a second run that day does not fetch again
    (site / "s" / "Tok3n" / "download" / "list").write_bytes(DEBTORS + b"changed\n")
    fetch_drop(_config(urls), raw, D(2025, 10, 3))
    assert (folder / formats.TAX_DEBTORS).read_bytes() == debtors


def test_required_and_periodic_files_land_in_one_drop(server, tmp_path):
    site, base = server
    urls = _daily_site(site, base)
    (site / "r.zip").write_bytes(_zip(f"{REPORTS}.csv", REPORTS_CSV))
    (site / "e.zip").write_bytes(_zip(f"{ELEMENTS}.csv", ELEMENTS_CSV))
    (site / "p.csv").write_bytes(payments_csv())
    periodic = {
        f"{REPORTS}.zip": f"{base}/r.zip",
        f"{ELEMENTS}.zip": f"{base}/e.zip",
        PAYMENTS: f"{base}/p.csv",
    }
    raw = tmp_path / "raw"
    folder = fetch_drop(_config(urls, periodic), raw, D(2026, 7, 30))
    assert sorted(p.name for p in folder.iterdir()) == sorted([*urls, *periodic])
    assert (folder / PAYMENTS).read_bytes() == (site / "p.csv").read_bytes()
    assert [p.name for p in raw.iterdir()] == ["2026-07-30"]


def test_a_periodic_file_collected_earlier_is_not_fetched_again(server, tmp_path):
    site, base = server
    urls = _daily_site(site, base)
    (site / "r.zip").write_bytes(_zip(f"{REPORTS}.csv", REPORTS_CSV))
    first = ("01.10.2025", "10000001", "Alfa OÜ", "OÜ", "Harju", "J", "2025", *"1" * 16)
    (site / "p.csv").write_bytes(payments_csv(first))
    periodic = {f"{REPORTS}.zip": f"{base}/r.zip", PAYMENTS: f"{base}/p.csv"}
    raw = tmp_path / "raw"
    fetch_drop(_config(urls, periodic), raw, D(2026, 7, 30))
    # the report is gone from the site: fetching it again would fail the day
    (site / "r.zip").unlink()
    second = fetch_drop(_config(urls, periodic), raw, D(2026, 7, 31))
    assert sorted(p.name for p in second.iterdir()) == sorted(urls)  # payments unchanged: not kept
    # a re-publication under a new name is fetched once; the payments file kept once changed
    republished = "1.aruannete_yldandmed_kuni_31072026"
    (site / "r2.zip").write_bytes(_zip(f"{republished}.csv", REPORTS_CSV))
    (site / "p.csv").write_bytes(payments_csv(first[:-1] + ("2",)))
    periodic = {**periodic, f"{republished}.zip": f"{base}/r2.zip"}
    third = fetch_drop(_config(urls, periodic), raw, D(2026, 8, 1))
    assert sorted(p.name for p in third.iterdir()) == sorted(
        [*urls, f"{republished}.zip", PAYMENTS]
    )
    assert (third / PAYMENTS).read_bytes() == payments_csv(first[:-1] + ("2",))


@pytest.mark.parametrize(
    ("key", "name", "message"),
    [
        ("periodic_urls", "aruannete_yldandmed.csv.zip", "not a file ingest recognises"),
        ("urls", "lihtandmed.csv.zip", "not a file ingest recognises"),
        ("periodic_urls", "tasutud_maksud_2017_i_kv.xlsx", "a format ingest does not read"),
        ("periodic_urls", f"{formats.RIK_BASIC}.zip", "a daily file"),
        ("urls", f"{REPORTS}.zip", "republished periodically"),
        ("urls", "../etc/passwd", "not a plain file name"),
    ],
)
def test_a_configured_name_ingest_would_not_read_is_a_named_config_error(key, name, message):
    with pytest.raises(ConfigError, match=rf"scoring\.{key}: {re.escape(repr(name))}.*{message}"):
        params_from_dict({"scoring": {key: {name: "http://127.0.0.1:9/x"}}})


@pytest.mark.parametrize(
    ("name", "logical", "family"),
    [
        (f"{formats.RIK_SHAREHOLDERS}.zip", formats.RIK_SHAREHOLDERS, "shareholders"),
        (formats.TAX_DEBTORS, formats.TAX_DEBTORS, "tax_debtors"),
        (f"{REPORTS}_0.zip", f"{REPORTS}.csv", "reports_general"),  # RIK's copy number
        (f"{ELEMENTS}.zip", f"{ELEMENTS}.csv", "reports_elements"),
        ("tasutud_maksud_2021_i_kvartal.csv", "tasutud_maksud_2021_i_kvartal.csv", "payments_old"),
    ],
)
def test_a_download_is_known_by_the_file_it_holds(name, logical, family):
    assert formats.logical_name(name) == logical
    assert ScoringConfig.download_family(name).name == family


def test_the_project_urls_name_every_required_daily_file():
    scoring = load_params(Path("params.yaml")).scoring
    families = {scoring.download_family(name).name for name in scoring.urls}
    assert {f.name for f in formats.FILE_FAMILIES if f.required} <= families


def test_a_drop_without_a_required_daily_file_is_refused_before_any_download(tmp_path):
    urls = {f"{formats.RIK_BASIC}.zip": "http://127.0.0.1:9/never"}
    with pytest.raises(ConfigError, match=r"scoring\.urls: no URL for the general, persons"):
        fetch_drop(_config(urls), tmp_path / "raw", D(2025, 10, 4))
    with pytest.raises(ConfigError, match="urls is empty"):
        fetch_drop(_config({}), tmp_path / "raw", D(2025, 10, 4))
    assert not (tmp_path / "raw").exists()


def test_a_failed_or_truncated_download_leaves_no_drop(server, tmp_path):
    site, base = server
    urls = _daily_site(site, base)
    good = _zip(f"{formats.RIK_RULINGS}", b"[]\n" * 1000)
    (site / "cut.zip").write_bytes(good[: len(good) // 2])
    raw = tmp_path / "raw"
    with pytest.raises(ScoringError, match=f"{formats.RIK_SHAREHOLDERS}.zip.*failed"):
        fetch_drop(
            _config({**urls, f"{formats.RIK_SHAREHOLDERS}.zip": f"{base}/nope.zip"}),
            raw,
            D(2025, 10, 4),
        )
    with pytest.raises(ScoringError, match="not a readable zip"):
        fetch_drop(
            _config({**urls, f"{formats.RIK_RULINGS}.zip": f"{base}/cut.zip"}), raw, D(2025, 10, 4)
        )
    assert list(raw.iterdir()) == []


def test_a_failed_periodic_download_leaves_no_drop(server, tmp_path):
    site, base = server
    urls = _daily_site(site, base)
    whole = _zip(f"{ELEMENTS}.csv", ELEMENTS_CSV)
    (site / "e.zip").write_bytes(whole[: len(whole) // 2])
    raw = tmp_path / "raw"
    with pytest.raises(ScoringError, match=f"{REPORTS}.zip.*failed"):
        fetch_drop(_config(urls, {f"{REPORTS}.zip": f"{base}/gone.zip"}), raw, D(2026, 7, 30))
    with pytest.raises(ScoringError, match=f"{ELEMENTS}.zip.*not a readable zip"):
        fetch_drop(_config(urls, {f"{ELEMENTS}.zip": f"{base}/e.zip"}), raw, D(2026, 7, 30))
    assert list(raw.iterdir()) == []
    # the next run, with the file whole, makes the drop
    (site / "e.zip").write_bytes(whole)
    folder = fetch_drop(_config(urls, {f"{ELEMENTS}.zip": f"{base}/e.zip"}), raw, D(2026, 7, 30))
    assert (folder / f"{ELEMENTS}.zip").read_bytes() == whole


class _CutShort(http.server.BaseHTTPRequestHandler):
    """Promises 1,000 bytes, sends 10, then drops the connection (a transfer cut short)."""

    def do_GET(self):  # noqa: N802 (the handler's protocol name)
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"Registrik;")
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


def test_a_plain_file_cut_short_in_transfer_leaves_no_drop(server, tmp_path):
    site, base = server
    urls = _daily_site(site, base)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CutShort)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/s/Tok3n/download/list"
        raw = tmp_path / "raw"
        with pytest.raises(
            ScoringError, match="maksuvolglaste_nimekiri.csv.*10 of 1000 bytes.*cut short"
        ):
            fetch_drop(_config({**urls, formats.TAX_DEBTORS: url}), raw, D(2025, 10, 4))
        assert not raw.exists() or list(raw.iterdir()) == []
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
