"""Hostile or broken files are refused quickly, in bounded memory, with a named error that says
where: zip bombs, zip headers that lie, unterminated strings and huge items, deep nesting,
header and data lines over their caps, text in the wrong encoding, empty files. All through the
public readers (and one through `ingest_drops`, which leaves the history as it was)."""

from __future__ import annotations

import contextlib
import json
import struct
import threading
import time
import zipfile
from pathlib import Path

import psutil
import pytest

from builders import BAD, assert_fails
from company_risk import formats as F
from company_risk.ingest import IngestError, emta, files, reports, rik
from company_risk.ingest.errors import Rejects, Source

DROP = "2026-07-30"
KEY = b"a test pseudonym key, 32 bytes.."
QUICK_S = 2.0  # refused within this long
BOUNDED_MB = 200  # peak memory growth while refusing, at most
BOMB_MB = 256  # the bombs inflate to this much (well above files.RATIO_FROM_BYTES)
BASIC_HEADER = ";".join(F.RIK_BASIC_COLUMNS)
BASIC_ROW = ";".join(
    {
        "nimi": "Kala OÜ",
        "ariregistri_kood": "10000001",
        "ettevotja_oiguslik_vorm": "Osauhing",
        "ettevotja_staatus": "R",
        "ettevotja_esmakande_kpv": "04.01.2016",
        "asukoha_ehak_tekstina": "Kesklinna linnaosa, Tallinn, Harju maakond",
    }.get(c, "")
    for c in F.RIK_BASIC_COLUMNS
)
PERSON = {
    "isiku_tyyp": "F",
    "isiku_roll": "JUHL",
    "isikukood_hash": "abc-1",
    "eesnimi": "Jüri",
    "algus_kpv": "01.02.2020",
}
PLAIN = {**PERSON, "eesnimi": "Juri"}  # no letter outside ASCII
GENERAL = F.REPORTS_GENERAL_FILE.format(cutoff="30062026")


# ------------------------------------------------------------------------------ helpers
def source_of(name: str) -> tuple[Source, Rejects]:
    source = Source(DROP, name, "json" if name.endswith(".json") else "csv")
    return source, Rejects(source)


def read_basic(path: Path):
    return rik.read_basic(path, *source_of(F.RIK_BASIC))


def read_persons(path: Path):
    source, rejects = source_of(F.RIK_PERSONS)
    return rik.read_persons(path, source, KEY, rejects)


def read_debtors(path: Path):
    return emta.read_tax_debtors(path, *source_of(F.TAX_DEBTORS))


def read_report_general(path: Path):
    source, rejects = source_of(GENERAL)
    return reports.read_reports((path, source, rejects), [])


def persons_items(n: int) -> list[dict]:
    return [
        {
            "ariregistri_kood": 10000001 + i,
            "nimi": f"Õun {i} OÜ",
            "kaardile_kantud_isikud": [PERSON],
        }
        for i in range(n)
    ]


def pretty(items: list[dict]) -> str:
    return json.dumps(items, ensure_ascii=False, indent=F.RIK_JSON_INDENT)


@contextlib.contextmanager
def bounded(seconds: float = QUICK_S, megabytes: float = BOUNDED_MB):
    """Assert that the block ends within `seconds` and that the process's resident memory
    never grows by more than `megabytes` meanwhile (sampled every 2 ms)."""
    process = psutil.Process()
    base = process.memory_info().rss
    peak = [base]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            stop.wait(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    started = time.perf_counter()
    sampler.start()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        stop.set()
        sampler.join()
        grown = (max(peak[0], process.memory_info().rss) - base) / (1 << 20)
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert grown < megabytes, f"memory grew by {grown:.0f} MB"


def bomb(path: Path, member: str, head: bytes, pattern: bytes, megabytes: int = BOMB_MB) -> Path:
    """A zip whose one member is `head` and then `pattern` repeated to `megabytes`, streamed
    through `ZipFile.open(name, "w")`: it packs to a few hundred KB."""
    chunk = pattern * ((1 << 20) // len(pattern))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open(member, "w") as fh:
        fh.write(head)
        for _ in range(megabytes):
            fh.write(chunk)
    return path


@pytest.fixture(scope="module")
def csv_bomb(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("csv_bomb")
    head = ("\ufeff" + BASIC_HEADER + "\n").encode("utf-8")
    return bomb(folder / f"{F.RIK_BASIC}.zip", F.RIK_BASIC, head, (BASIC_ROW + "\n").encode())


@pytest.fixture(scope="module")
def json_bomb(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("json_bomb")
    item = pretty(persons_items(1))[1:-2].encode("utf-8") + b","  # one item and its comma
    return bomb(folder / f"{F.RIK_PERSONS}.zip", F.RIK_PERSONS, b"[", item)


def patch_central_directory(path: Path, **sizes: int) -> None:
    """Rewrite what the central directory of a one-member zip declares: `packed`
    (compressed size) and/or `unpacked`; the data is left as it is."""
    data = bytearray(path.read_bytes())
    at = data.rindex(b"PK\x01\x02")  # the member's central directory header
    if "packed" in sizes:
        struct.pack_into("<I", data, at + 20, sizes["packed"])
    if "unpacked" in sizes:
        struct.pack_into("<I", data, at + 24, sizes["unpacked"])
    path.write_bytes(bytes(data))


# ------------------------------------------------------------------------------ zip bombs
@pytest.mark.parametrize("kind", ["csv", "json"])
def test_a_zip_bomb_is_refused_before_it_is_inflated(kind, csv_bomb, json_bomb):
    path = csv_bomb if kind == "csv" else json_bomb
    assert path.stat().st_size < 2 << 20  # a few hundred KB for 256 MB
    read = read_basic if kind == "csv" else read_persons
    with bounded(), pytest.raises(IngestError) as err:
        read(path)
    message = str(err.value)
    assert f"{path.name} declares 256 MB unpacked" in message
    assert "compression ratio above 200:1" in message and "zip bomb" in message


def test_a_zip_bomb_in_a_drop_fails_ingest_and_leaves_the_history(case, csv_bomb):
    target = case / "raw" / BAD / f"{F.RIK_BASIC}.zip"
    target.write_bytes(csv_bomb.read_bytes())
    with bounded(seconds=30):  # the whole drop is read up to the bomb
        assert_fails(case, f"drop {BAD}", F.RIK_BASIC, "compression ratio above")


def test_a_zip_header_that_declares_more_packed_bytes_than_the_archive_is_refused(
    tmp_path, csv_bomb
):
    """The ratio check believes the declared sizes: a header claiming 100 MB packed for 1 GB
    unpacked (10:1) would pass it, so packed bytes beyond the archive's own size are refused."""
    path = tmp_path / csv_bomb.name
    path.write_bytes(csv_bomb.read_bytes())
    patch_central_directory(path, packed=100 << 20, unpacked=1 << 30)
    with bounded(), pytest.raises(IngestError, match="more packed bytes than the whole archive"):
        read_basic(path)


def test_a_zip_header_that_declares_fewer_bytes_than_it_inflates_to_is_refused(tmp_path, json_bomb):
    """A member declared at 1 MB (too small for the ratio check to apply) that inflates to
    256 MB: reading stops at the declared size and the mismatch is named."""
    path = tmp_path / json_bomb.name
    path.write_bytes(json_bomb.read_bytes())
    patch_central_directory(path, unpacked=1 << 20)
    with bounded(), pytest.raises(IngestError) as err:
        read_persons(path)
    assert "does not match its header (1.0 MB declared" in str(err.value)


def test_a_plain_file_over_the_size_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_CSV_BYTES", 1 << 10)
    path = tmp_path / F.RIK_BASIC
    path.write_text(BASIC_HEADER + "\n" + (BASIC_ROW + "\n") * 20, encoding="utf-8")
    with pytest.raises(IngestError, match=r"is [\d.]+ KB, more than the 1\.0 KB a CSV file may"):
        read_basic(path)


# --------------------------------------------------------------- JSON: strings, items, depth
def test_an_unterminated_string_in_a_zipped_json_is_refused_quickly(tmp_path):
    """The operator's case: a small zip holding one string that never ends (here 256 MB of
    escaped quotes, the worst case for the cut finder)."""
    head = b'[\n    {\n        "ariregistri_kood": 10000001,\n        "nimi": "'
    path = bomb(tmp_path / f"{F.RIK_PERSONS}.zip", F.RIK_PERSONS, head, b'\\"')
    with bounded(), pytest.raises(IngestError, match="compression ratio above 200:1"):
        read_persons(path)


@pytest.mark.parametrize("layout", ["pretty", "compact"])
@pytest.mark.parametrize("pattern", [b"a", b'\\"', b"\\"])
def test_an_unterminated_string_is_refused_in_linear_time(tmp_path, layout, pattern):
    """Unzipped (no ratio to check): 80 MB of one string that never ends stops at
    files.MAX_JSON_ITEM_BYTES, in time linear in what was read, whatever the string holds
    (escaped quotes and runs of backslashes made the old cut finder take minutes)."""
    head = (
        b'[\n    {\n        "ariregistri_kood": 10000001,\n        "nimi": "'
        if layout == "pretty"
        else b'[{"ariregistri_kood":10000001,"nimi":"'
    )
    path = tmp_path / F.RIK_PERSONS
    path.write_bytes(head + pattern * ((80 << 20) // len(pattern)))
    with bounded(), pytest.raises(IngestError) as err:
        read_persons(path)
    message = str(err.value)
    assert "item 1: no end of this item within 64 MB" in message
    assert "inside a string" in message


def test_an_item_just_under_the_cap_is_read_and_one_over_it_is_refused(tmp_path):
    path = tmp_path / F.RIK_PERSONS
    items = persons_items(3)
    cap = files.MAX_JSON_ITEM_BYTES
    # the cap is checked block by block (1 MB): an item is refused once that many of its bytes
    # were read without its end
    for size, ok in ((cap - (2 << 20), True), (cap + (2 << 20), False)):
        big = {**items[1], "padding": "x" * size}
        path.write_text(pretty([items[0], big, items[2]]), encoding="utf-8")
        if ok:
            assert len(read_persons(path)) == 3  # one person on each of the three cards
        else:
            with pytest.raises(IngestError, match="item 2: no end of this item within 64 MB"):
                read_persons(path)


@pytest.mark.parametrize("layout", ["compact", "pretty"])
def test_nesting_200000_deep_is_refused_by_name(tmp_path, layout):
    deep = "[" * 200_000 + "]" * 200_000
    items = pretty(persons_items(2)) if layout == "pretty" else json.dumps(persons_items(2))
    # the second item's person list (a list of one flat object) becomes 200,000 lists deep
    head, tail = items.rsplit('"kaardile_kantud_isikud": ', 1)
    text = head + '"kaardile_kantud_isikud": ' + deep + tail[tail.index("]") + 1 :]
    path = tmp_path / F.RIK_PERSONS
    path.write_text(text, encoding="utf-8")
    with bounded(), pytest.raises(IngestError) as err:
        read_persons(path)
    message = str(err.value)
    assert "item 2: nested deeper than 64 levels" in message
    if layout == "compact":  # the general finder counts brackets: it knows where
        # the array and the item are levels 1 and 2: the 63rd list opens level 65
        offset = text.encode("utf-8").index(b"[" * 64) + 62
        assert f"at byte offset {offset}" in message


def test_a_whole_file_of_brackets_is_refused_by_name(tmp_path):
    path = tmp_path / F.RIK_PERSONS
    path.write_bytes(b"[" * 200_000 + b"]" * 200_000)
    with pytest.raises(IngestError, match="item 1: nested deeper than 64 levels .* offset 64"):
        read_persons(path)


def test_a_json_file_cut_off_inside_a_string_names_the_item(tmp_path):
    path = tmp_path / F.RIK_PERSONS
    data = pretty(persons_items(3)).encode("utf-8")
    cut = data.index(b"\xc3\x95un 2")  # inside the third item's name
    path.write_bytes(data[:cut])
    with pytest.raises(IngestError) as err:
        read_persons(path)
    message = str(err.value)
    assert "after 2 item(s): item 3 is cut off inside a string" in message
    assert f"at byte offset {cut}" in message and "truncated" in message


# ------------------------------------------------------------------------ text encodings
@pytest.mark.parametrize("layout", ["pretty", "compact"])
def test_a_latin1_persons_json_names_the_item_and_byte_offset(tmp_path, layout):
    items = [
        {**item, "nimi": "Kala OÜ" if i == 2 else "Kala OU", "kaardile_kantud_isikud": [PLAIN]}
        for i, item in enumerate(persons_items(4))
    ]
    text = pretty(items) if layout == "pretty" else json.dumps(items, ensure_ascii=False)
    data = text.encode("latin-1")
    path = tmp_path / F.RIK_PERSONS
    path.write_bytes(data)
    with pytest.raises(IngestError) as err:
        read_persons(path)
    message = str(err.value)
    assert "item 3: not valid UTF-8 text" in message
    assert f"at byte offset {data.index('Ü'.encode('latin-1'))}" in message


def test_a_latin1_basic_csv_names_the_line_and_byte_offset(tmp_path):
    path = tmp_path / F.RIK_BASIC
    text = "\n".join([BASIC_HEADER, BASIC_ROW.replace("Kala OÜ", "Kala OU"), BASIC_ROW]) + "\n"
    data = text.encode("latin-1")
    path.write_bytes(data)
    with pytest.raises(IngestError) as err:
        read_basic(path)
    offset = data.index("Ü".encode("latin-1"))
    assert f"line 3: not valid utf-8 text at byte offset {offset}" in str(err.value)


# ------------------------------------------------------------------------- CSV lines, empty
@pytest.mark.parametrize("reader", [read_basic, read_debtors, read_report_general])
def test_an_empty_csv_says_it_is_empty(tmp_path, reader):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(IngestError, match="the file is empty"):
        reader(path)


def test_an_empty_json_says_it_is_empty(tmp_path):
    path = tmp_path / F.RIK_PERSONS
    path.write_bytes(b"")
    with pytest.raises(IngestError, match=r"the file is empty \(0 bytes\)"):
        read_persons(path)


@pytest.mark.parametrize("reader", [read_basic, read_debtors, read_report_general])
def test_a_200_kb_header_line_is_refused_by_name(tmp_path, reader):
    path = tmp_path / "wide.csv"
    path.write_bytes(b"x" * 200_000 + b"\n1\n")
    with (
        bounded(),
        pytest.raises(IngestError, match="line 1: the header line is longer than 128 KB"),
    ):
        reader(path)


def test_a_header_with_no_line_end_is_read_only_up_to_the_cap(tmp_path):
    path = tmp_path / F.RIK_BASIC
    path.write_bytes(b"x" * (100 << 20))  # 100 MB and no line end
    with bounded(), pytest.raises(IngestError, match="header line is longer than 128 KB"):
        read_basic(path)


@pytest.mark.parametrize("reader", [read_basic, read_debtors])
def test_a_data_line_over_the_cap_names_its_row(tmp_path, reader):
    header = BASIC_HEADER if reader is read_basic else ";".join(F.TAX_DEBTORS_COLUMNS)
    good = BASIC_ROW if reader is read_basic else "30.07.2026;10000001;Kala OÜ;1,00;;;;01.02.2026"
    long = good.replace("Kala OÜ", "K" * (9 << 20))  # a 9 MB name: over twice the cap
    path = tmp_path / "long.csv"
    path.write_text("\n".join([header, good, good, long, good]) + "\n", encoding="utf-8")
    with (
        bounded(),
        pytest.raises(
            IngestError, match=r"row 3 \(line 4\): a line of 9\.0 MB, longer than the 4\.0 MB"
        ),
    ):
        reader(path)


def test_a_field_over_the_cap_names_its_row_and_field(tmp_path):
    long = BASIC_ROW.replace("Kala OÜ", "K" * (300 << 10))
    path = tmp_path / F.RIK_BASIC
    path.write_text("\n".join([BASIC_HEADER, BASIC_ROW, long]) + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"row 2 \(line 3\): field 'nimi': a field of 300 KB"):
        read_basic(path)
