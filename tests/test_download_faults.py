"""`daily` in real mode against a hostile server (a loopback one on 127.0.0.1, never the
internet): cut bodies without a Content-Length, HTML error pages with status 200, a trickling and
an endless server; and a drop that fails ingest, quarantined so that it blocks no later day."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import io
import json
import shutil
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from builders import tiny_world
from company_risk import formats
from company_risk.cli import app
from company_risk.config import ConfigError, IngestConfig, ScoringConfig, params_from_dict
from company_risk.ingest import IngestError, ingest_drops
from company_risk.ingest.files import list_drops
from company_risk.scoring.daily import (
    CSV_LAYOUTS,
    QUARANTINE,
    REASON_FILE,
    DownloadError,
    DropQuarantinedError,
    check_download,
    fetch_drop,
    ingest_or_quarantine,
)
from company_risk.synth.drops import write_drops

D = dt.date
DAY = D(2025, 10, 3)
BASIC = f"{formats.RIK_BASIC}.zip"
GENERAL = f"{formats.RIK_GENERAL}.zip"
PERSONS = f"{formats.RIK_PERSONS}.zip"
DEBTORS = formats.TAX_DEBTORS
PAYMENTS = "tasutud_maksud_kaesolev_aasta_eng.csv"


# ---------------------------------------------------------------------------- the files
def _zip(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
    return buffer.getvalue()


def _csv(columns, rows, sep=";", encoding="utf-8-sig") -> bytes:
    return "".join(sep.join(r) + "\n" for r in [columns, *rows]).encode(encoding)


def debtor_list(n: int = 9) -> bytes:
    """EMTA's list of `n` debtors."""
    rows = [
        (
            "02.10.2025",
            f"1000{i:04d}",
            f"Firma {i} OÜ",
            "1 234,56",
            "0,00",
            "0,00",
            "",
            "01.08.2025",
        )
        for i in range(n)
    ]
    return _csv(formats.TAX_DEBTORS_COLUMNS, rows)


def general_json(n: int = 3) -> bytes:
    """A general-data array in RIK's layout (4-space indent)."""
    items = [{"ariregistri_kood": 10000000 + i, "nimi": f"Firma {i} OÜ"} for i in range(n)]
    return json.dumps(items, indent=4, ensure_ascii=False).encode("utf-8")


def payments(*rows) -> bytes:
    return _csv(formats.TAX_PAYMENTS_COLUMNS, rows, sep=",")


GOOD = {
    BASIC: _zip(formats.RIK_BASIC, _csv(formats.RIK_BASIC_COLUMNS, [])),
    GENERAL: _zip(formats.RIK_GENERAL, general_json()),
    PERSONS: _zip(formats.RIK_PERSONS, b"[]\n"),
    DEBTORS: debtor_list(),
}
HTML = b"\n  <!DOCTYPE html>\n<html><head><title>503</title></head><body>Try later</body></html>\n"


# ---------------------------------------------------------------------------- the server
Route = Callable[[http.server.BaseHTTPRequestHandler], None]


def body(data: bytes, content_type: str = "application/octet-stream", length: bool = True):
    """Send `data` (with or without a Content-Length), then close the connection: without one,
    the close is the only end of the body a client sees (HTTP/1.0)."""

    def route(h) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        if length:
            h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return route


def trickle(data: bytes, every_s: float = 0.2) -> Route:
    """One byte every `every_s`, no Content-Length; stops when the client hangs up or the data
    ends (at most len(data) * every_s seconds)."""

    def route(h) -> None:
        h.send_response(200)
        h.end_headers()
        for i in range(len(data)):
            h.wfile.write(data[i : i + 1])
            h.wfile.flush()
            time.sleep(every_s)

    return route


def endless(chunk: int = 1 << 16, most: int = 16 << 20) -> Route:
    """Bytes without end (up to `most`, so the handler stops by itself), no Content-Length."""

    def route(h) -> None:
        h.send_response(200)
        h.end_headers()
        block = b"x" * chunk
        for _ in range(most // chunk):
            h.wfile.write(block)

    return route


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the handler's protocol name)
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client cut it off
            route(self)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """A loopback server whose paths map to routes (`server.routes["/x"] = body(...)`); it
    serves the good daily files under their names."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.routes = {f"/{name}": body(data) for name, data in GOOD.items()}
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def config(server, periodic=(), **settings) -> ScoringConfig:
    urls = {name: f"{server.base}/{name}" for name in GOOD}
    return ScoringConfig(
        urls=urls,
        periodic_urls={name: f"{server.base}/{name}" for name in periodic},
        download_timeout_s=settings.pop("download_timeout_s", 5),
        **settings,
    )


def fails(server, raw: Path, match: str, **settings) -> DownloadError:
    with pytest.raises(DownloadError, match=match) as err:
        fetch_drop(config(server, **settings), raw, DAY)
    assert not raw.exists() or list(raw.iterdir()) == []  # no drop, no leftovers
    return err.value


# -------------------------------------------------------------------- cut without a length
def test_the_good_files_make_a_drop(server, tmp_path):
    folder = fetch_drop(config(server), tmp_path / "raw", DAY)
    assert sorted(p.name for p in folder.iterdir()) == sorted(GOOD)


def test_a_debtor_list_cut_mid_row_without_content_length_leaves_no_drop(server, tmp_path):
    whole = debtor_list(9)
    lines = whole.split(b"\n")
    cut = len(b"\n".join(lines[:4])) + 1 + 15  # 3 whole rows, then a bit of the 4th
    server.routes[f"/{DEBTORS}"] = body(whole[:cut], "text/csv", length=False)
    fails(server, tmp_path / "raw", rf"{DEBTORS}.*row 4 .*too few fields")


def test_a_json_cut_mid_item_without_content_length_leaves_no_drop(server, tmp_path):
    whole = general_json(3)
    plain = formats.RIK_GENERAL  # served unzipped
    server.routes[f"/{plain}"] = body(whole[: len(whole) * 2 // 3], "application/json", False)
    urls = {**config(server).urls, plain: f"{server.base}/{plain}"}
    del urls[GENERAL]
    raw = tmp_path / "raw"
    with pytest.raises(DownloadError, match=rf"{plain}.*ends inside the array.*truncated"):
        fetch_drop(ScoringConfig(urls=urls, download_timeout_s=5), raw, DAY)
    assert not raw.exists() or list(raw.iterdir()) == []


def test_a_zip_cut_without_content_length_leaves_no_drop(server, tmp_path):
    whole = GOOD[GENERAL]
    server.routes[f"/{GENERAL}"] = body(whole[: len(whole) // 2], length=False)
    fails(server, tmp_path / "raw", rf"{GENERAL}.*not a readable zip")


def test_a_whole_zip_holding_a_cut_json_leaves_no_drop(server, tmp_path):
    whole = general_json(3)
    server.routes[f"/{PERSONS}"] = body(_zip(formats.RIK_PERSONS, whole[:-20]), length=False)
    fails(server, tmp_path / "raw", rf"{PERSONS}.*not a whole {formats.RIK_PERSONS}.*truncated")


def test_a_zip_of_two_files_is_refused(server, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(formats.RIK_PERSONS, b"[]\n")
        zf.writestr("readme.txt", b"hello")
    server.routes[f"/{PERSONS}"] = body(buffer.getvalue())
    fails(server, tmp_path / "raw", rf"{PERSONS}.*holds 2 files, not one")


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b'{"error": "no such file"}', "not a JSON array"),
        (b"[]\n[]\n", "data after the end of the array"),
    ],
)
def test_a_json_that_is_not_one_whole_array_is_refused(server, tmp_path, data, match):
    server.routes[f"/{PERSONS}"] = body(_zip(formats.RIK_PERSONS, data))
    fails(server, tmp_path / "raw", rf"{PERSONS}.*{match}")


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "the file is empty"),
        (b"Registrikood;Nimi\n1;a\n", "field 'Andmed on seisuga': missing or renamed"),
        (debtor_list().replace(b";", b","), "wrong delimiter"),
        (debtor_list()[:40], "missing or renamed column"),  # the header line cut
        (debtor_list() + b"02.10.2025;10009999;too;many;fields;;;;;;\n", "too many fields"),
        (debtor_list() + b"\xff\xfe broken\n", "not valid utf-8"),
    ],
)
def test_a_debtor_list_that_is_not_the_list_is_refused(server, tmp_path, data, match):
    server.routes[f"/{DEBTORS}"] = body(data, "text/csv")
    fails(server, tmp_path / "raw", rf"{DEBTORS}.*{match}")


# ------------------------------------------------------------------------ HTML with 200
@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "application/xhtml+xml"])
def test_an_html_page_served_with_status_200_is_refused_by_its_content_type(
    server, tmp_path, content_type
):
    server.routes[f"/{DEBTORS}"] = body(b"<p>Service temporarily unavailable</p>", content_type)
    fails(server, tmp_path / "raw", rf"{DEBTORS}.*HTML page \(Content-Type")


@pytest.mark.parametrize("name", [DEBTORS, BASIC])
@pytest.mark.parametrize("page", [HTML, b"\xef\xbb\xbf<HTML lang=et><body>Viga</body></HTML>"])
def test_an_html_page_is_refused_by_its_first_bytes_whatever_the_header(
    server, tmp_path, name, page
):
    server.routes[f"/{name}"] = body(page, "text/csv", length=False)
    fails(server, tmp_path / "raw", rf"{name}.*is an HTML page")


# ----------------------------------------------------------------- deadline and size cap
def test_a_trickling_server_is_cut_off_at_the_deadline(server, tmp_path):
    server.routes[f"/{DEBTORS}"] = trickle(debtor_list(), every_s=0.2)
    started = time.monotonic()
    fails(
        server,
        tmp_path / "raw",
        rf"{DEBTORS}.*cut off after \d+ bytes.*scoring.download_deadline_s \(1 s\)",
        download_deadline_s=1,
    )
    assert time.monotonic() - started < 3  # not the ~80 s the whole trickle takes


def test_an_endless_stream_is_cut_off_at_the_size_cap(server, tmp_path):
    server.routes[f"/{DEBTORS}"] = endless()
    err = fails(
        server,
        tmp_path / "raw",
        rf"{DEBTORS}.*cut off at \d+ bytes.*scoring.download_max_mb \(0.5 MB\)",
        download_max_mb=0.5,
    )
    cut_at = int(str(err).split("cut off at ")[1].split()[0])
    assert 0.5 * 2**20 < cut_at <= 0.5 * 2**20 + 2**20  # at most one block past the cap


def test_an_announced_length_over_the_cap_is_refused_before_the_body(server, tmp_path):
    server.routes[f"/{DEBTORS}"] = body(debtor_list(200))
    fails(
        server,
        tmp_path / "raw",
        rf"{DEBTORS}.*bytes announced.*download_max_mb",
        download_max_mb=0.001,
    )


@pytest.mark.parametrize(
    ("key", "value", "ok"),
    [
        ("download_max_mb", 0.5, True),
        ("download_max_mb", "0.5", True),
        ("download_deadline_s", 2, True),
        ("download_max_mb", 0, False),
        ("download_deadline_s", -1, False),
        ("download_timeout_s", "soon", False),
        ("download_deadline_s", float("inf"), False),
    ],
)
def test_the_download_limits_are_positive_numbers(key, value, ok):
    if ok:
        assert getattr(params_from_dict({"scoring": {key: value}}).scoring, key) == float(value)
    else:
        with pytest.raises(ConfigError, match=rf"scoring\.{key}"):
            params_from_dict({"scoring": {key: value}})


def test_the_download_limits_have_generous_defaults():
    cfg = ScoringConfig()
    assert cfg.download_deadline_s == 1800 and cfg.download_max_mb == 2048


# -------------------------------------------------------------- periodic files and retries
def test_a_failed_periodic_file_leaves_no_drop_and_the_next_run_retries(server, tmp_path):
    row = ("01.10.2025", "10000001", "Alfa OÜ", "OÜ", "Harju", "J", "2025", *"1" * 16)
    server.routes[f"/{PAYMENTS}"] = body(HTML, "application/octet-stream")
    raw = tmp_path / "raw"
    fails(server, raw, rf"{PAYMENTS}.*HTML page", periodic=[PAYMENTS])
    # the server is fixed: the next run fetches the whole day
    server.routes[f"/{PAYMENTS}"] = body(payments(row), "text/csv")
    folder = fetch_drop(config(server, periodic=[PAYMENTS]), raw, DAY)
    assert sorted(p.name for p in folder.iterdir()) == sorted([*GOOD, PAYMENTS])
    assert (folder / PAYMENTS).read_bytes() == payments(row)


def test_a_cut_daily_file_fails_the_day_and_the_next_run_fetches_it_whole(server, tmp_path):
    raw = tmp_path / "raw"
    server.routes[f"/{DEBTORS}"] = body(debtor_list()[:-30], length=False)
    fails(server, raw, rf"{DEBTORS}.*too few fields")
    server.routes[f"/{DEBTORS}"] = body(debtor_list(), length=False)
    folder = fetch_drop(config(server), raw, DAY)
    assert (folder / DEBTORS).read_bytes() == debtor_list()
    assert [d for d, _ in list_drops(raw)] == [DAY]


# ----------------------------------------------------------------------- the checks alone
def test_every_csv_family_has_a_download_check():
    csv_families = {f.name for f in formats.FILE_FAMILIES if f.kind == "csv"}
    assert csv_families <= set(CSV_LAYOUTS)


def test_every_file_the_synthetic_world_publishes_passes_the_download_check(tmp_path):
    """The writer's files are the published formats: none is refused (reports and taxes paid,
    zipped and plain, old generation in latin-1 included)."""
    folders = write_drops(tiny_world(), tmp_path / "raw")
    checked = set()
    for folder in folders:
        for path in sorted(folder.iterdir()):
            family = formats.family_of(path.name)
            if family is None or family.kind == "unsupported":
                continue
            check_download(path.name, "file://synthetic", path, D.fromisoformat(folder.name))
            checked.add(family.name)
    assert {"basic", "general", "persons", "tax_debtors"} <= checked


# -------------------------------------------------------------------------- quarantine
APPLIED, BAD, NEXT = D(2019, 8, 1), D(2019, 9, 1), D(2019, 10, 1)


@pytest.fixture
def world_raw(tmp_path):
    """Tiny-world drops up to NEXT; the history holds those up to APPLIED; the drop BAD has an
    unknown status on every row of its basic file (it reads, but ingest refuses it)."""
    world = tiny_world()
    world.drop_dates = [d for d in world.drop_dates if d <= pd.Timestamp(NEXT)]
    raw = tmp_path / "raw"
    write_drops(world, raw)
    ingest_drops(raw, tmp_path / "interim", IngestConfig(), until=APPLIED)
    corrupt_basic(raw / BAD.isoformat())
    return raw


def corrupt_basic(folder: Path) -> None:
    path = folder / BASIC
    with zipfile.ZipFile(path) as zf:
        text = zf.read(formats.RIK_BASIC).decode("utf-8-sig")
    bad = text.replace(";R;Registrisse kantud;", ";Q;Registrisse kantud;")
    assert bad != text
    path.write_bytes(_zip(formats.RIK_BASIC, bad.encode("utf-8-sig")))


def _interim_bytes(interim: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(interim.iterdir())}


def test_a_drop_that_fails_ingest_is_quarantined_and_the_next_day_goes_ahead(world_raw, tmp_path):
    raw, interim = world_raw, tmp_path / "interim"
    before = _interim_bytes(interim)
    bad_files = {p.name: p.read_bytes() for p in (raw / BAD.isoformat()).iterdir()}
    with pytest.raises(DropQuarantinedError, match=rf"drop {BAD} failed ingest.*moved to") as err:
        ingest_or_quarantine(raw, interim, IngestConfig(), tmp_path, BAD)
    assert isinstance(err.value.__cause__, IngestError)
    assert _interim_bytes(interim) == before  # nothing applied
    assert not (raw / BAD.isoformat()).exists()
    moved = raw / QUARANTINE / f"{BAD}-1"
    reason = (moved / REASON_FILE).read_text(encoding="utf-8")
    assert str(err.value.__cause__) in reason and "ettevotja_staatus" in reason
    assert {p.name: p.read_bytes() for p in moved.iterdir() if p.name != REASON_FILE} == bad_files
    # ingest and the fetch no longer see it: the next day applies, and BAD may be fetched again
    assert BAD not in [d for d, _ in list_drops(raw)]
    result = ingest_or_quarantine(raw, interim, IngestConfig(), tmp_path, NEXT)
    assert result.applied == [NEXT]


def test_a_day_quarantined_twice_keeps_both_copies(world_raw, tmp_path):
    raw, interim = world_raw, tmp_path / "interim"
    copy = tmp_path / "copy"
    shutil.copytree(raw / BAD.isoformat(), copy)
    for n in (1, 2):
        with pytest.raises(DropQuarantinedError):
            ingest_or_quarantine(raw, interim, IngestConfig(), tmp_path, BAD)
        assert (raw / QUARANTINE / f"{BAD}-{n}" / REASON_FILE).is_file()
        if n == 1:
            shutil.copytree(copy, raw / BAD.isoformat())  # fetched again, bad again


def test_an_error_about_an_applied_drop_moves_nothing(world_raw, tmp_path):
    raw, interim = world_raw, tmp_path / "interim"
    applied = raw / APPLIED.isoformat()
    (applied / DEBTORS).write_bytes((applied / DEBTORS).read_bytes() + b"\n")  # bytes changed
    with pytest.raises(IngestError, match="already applied") as err:
        ingest_or_quarantine(raw, interim, IngestConfig(), tmp_path, BAD)
    assert not isinstance(err.value, DropQuarantinedError)
    assert applied.is_dir() and not (raw / QUARANTINE).exists()


def test_daily_quarantines_a_bad_download_and_fetches_the_day_again(world_raw, tmp_path, server):
    """End to end through the CLI: today's drop downloads whole but fails ingest: exit 2, the
    drop is quarantined; the next run (the files fixed at the source) fetches the same day
    again and ingests it (scoring then fails for want of a model, which this test has none of)."""
    raw, interim = world_raw, tmp_path / "interim"
    site = tmp_path / "site"
    shutil.move(raw / BAD.isoformat(), site)
    shutil.rmtree(raw / NEXT.isoformat())
    server.routes = {f"/{p.name}": body(p.read_bytes()) for p in site.iterdir()}
    urls = "\n".join(f"    {p.name}: {server.base}/{p.name}" for p in sorted(site.iterdir()))
    params = tmp_path / "params.yaml"
    params.write_text(f"scoring:\n  source: real\n  urls:\n{urls}\n", encoding="utf-8")
    args = [
        "--project-dir",
        str(tmp_path),
        "--params",
        str(params),
        "daily",
        "--today",
        BAD.isoformat(),
        "--raw",
        str(raw),
        "--interim",
        str(interim),
        "--out",
        str(tmp_path / "scores"),
    ]
    runner = CliRunner()
    first = runner.invoke(app, args, env={"MLFLOW_TRACKING_URI": ""})
    assert first.exit_code == 2, first.output
    assert "failed ingest and was moved to" in first.output
    assert not (raw / BAD.isoformat()).exists()
    assert (raw / QUARANTINE / f"{BAD}-1" / REASON_FILE).is_file()

    good = tmp_path / "good"
    write_drops(_world_until(BAD), good)
    server.routes = {f"/{p.name}": body(p.read_bytes()) for p in (good / BAD.isoformat()).iterdir()}
    second = runner.invoke(app, args, env={"MLFLOW_TRACKING_URI": ""})
    assert second.exit_code == 2 and "MLmodel" in second.output, second.output  # no model
    assert (raw / BAD.isoformat()).is_dir(), second.output  # fetched again
    log = pd.read_parquet(interim / "ingest_log.parquet")
    assert BAD in {d.date() for d in pd.to_datetime(log["drop_date"])}  # and applied


def _world_until(day: D):
    world = tiny_world()
    world.drop_dates = [d for d in world.drop_dates if d <= pd.Timestamp(day)]
    return world
