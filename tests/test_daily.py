"""`company-risk daily`: which day to score, and the real-data download (from a local HTTP
server on 127.0.0.1, never the internet)."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import io
import threading
import zipfile

import pytest

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
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield site, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_real_drop_is_downloaded_whole_into_a_new_dated_folder(server, tmp_path):
    site, base = server
    basic = _zip(
        "ettevotja_rekvisiidid__lihtandmed.csv", "nimi;ariregistri_kood\nA OÜ;10000001\n".encode()
    )
    (site / "lihtandmed.zip").write_bytes(basic)
    debtors = "Andmed on seisuga;Registrikood\n03.10.2025;10000001\n".encode("utf-8-sig")
    (site / "debtors.csv").write_bytes(debtors)
    urls = {
        "ettevotja_rekvisiidid__lihtandmed.csv.zip": f"{base}/lihtandmed.zip",
        "maksuvolglaste_nimekiri.csv": f"{base}/debtors.csv",
    }
    raw = tmp_path / "raw"
    folder = fetch_drop(urls, raw, D(2025, 10, 3), timeout_s=10)
    assert folder == raw / "2025-10-03"
    assert (folder / "ettevotja_rekvisiidid__lihtandmed.csv.zip").read_bytes() == basic
    assert (folder / "maksuvolglaste_nimekiri.csv").read_bytes() == debtors
    assert [p.name for p in raw.iterdir()] == ["2025-10-03"]
    # raw drops are immutable: a second run that day does not fetch again
    (site / "debtors.csv").write_bytes(b"changed")
    fetch_drop(urls, raw, D(2025, 10, 3), timeout_s=10)
    assert (folder / "maksuvolglaste_nimekiri.csv").read_bytes() == debtors


def test_a_failed_or_truncated_download_leaves_no_drop(server, tmp_path):
    site, base = server
    good = _zip("x.csv", b"a;b\n" * 1000)
    (site / "good.zip").write_bytes(good)
    (site / "cut.zip").write_bytes(good[: len(good) // 2])
    raw = tmp_path / "raw"
    with pytest.raises(ScoringError, match="missing.csv.*failed"):
        fetch_drop(
            {"a.csv.zip": f"{base}/good.zip", "missing.csv": f"{base}/nope.csv"},
            raw,
            D(2025, 10, 4),
            10,
        )
    with pytest.raises(ScoringError, match="not a readable zip"):
        fetch_drop({"b.csv.zip": f"{base}/cut.zip"}, raw, D(2025, 10, 4), 10)
    assert list(raw.iterdir()) == []
    with pytest.raises(ScoringError, match="urls is empty"):
        fetch_drop({}, raw, D(2025, 10, 4), 10)


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


def test_a_plain_file_cut_short_in_transfer_leaves_no_drop(tmp_path):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CutShort)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/maksuvolglaste_nimekiri.csv"
        raw = tmp_path / "raw"
        with pytest.raises(
            ScoringError, match="maksuvolglaste_nimekiri.csv.*10 of 1000 bytes.*cut short"
        ):
            fetch_drop({"maksuvolglaste_nimekiri.csv": url}, raw, D(2025, 10, 4), 10)
        assert not raw.exists() or list(raw.iterdir()) == []
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
