"""Finding drops and opening their files, zipped or not, in bounded memory.

RIK publishes each file as a zip of the same stem; users may also unpack them. Both are read the
same way (`open_binary`), as a stream: the big JSON arrays (general data 4.6 GB, persons 1.0 GB
unpacked at national scale) item by item by `jsonstream.iter_json_array`, the CSV files block
by block by Arrow (`arrowcsv`). No file is ever read, decoded or split whole.

What one file may make ingest do is capped here, in one place (`MAX_*` below): a hostile or
broken file (a zip bomb, a zip whose header lies, a file without line ends, JSON nested without
end) is refused with a named error instead of exhausting memory or time.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import hashlib
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from company_risk import formats as F
from company_risk.artifacts import DROP_FOLDER
from company_risk.ingest.errors import IngestError, Source

CHUNK = 1 << 20
_BAD_ZIP = (zipfile.BadZipFile, EOFError, zlib.error, OSError, NotImplementedError)

# --------------------------------------------------------------- what one file may hold
# Every cap sits far above the real files (design/real-formats.md) and far below what would
# hurt the machine; a file beyond one is refused whole, naming the file and the position.
# They are constants, not configuration: a real file near one means the publisher changed its
# format, which needs a look at the code anyway.
#
# Unpacked size. The JSON arrays are streamed, so their cap bounds time, not memory: the largest
# real one (general data) is 4.6 GB, read in ~16 s; 16 GiB leaves 3.5x growth and still ends
# in about a minute. A CSV's used columns are held whole by Arrow, so its cap also bounds
# memory: the largest real CSV (an annual-report file, ~1.6 M or ~3 M rows) is estimated at
# ~0.5 GB (the basic data: 97 MB); 2 GiB is 4x that.
MAX_JSON_BYTES = 16 << 30
MAX_CSV_BYTES = 2 << 30
# Compression ratio of a zip member (unpacked : packed). Real RIK zips: general data 230 MB ->
# 4.6 GB is ~20:1, persons ~30:1; deflate tops out near 1030:1, which only a bomb's repeated
# pattern reaches. 200:1 is ~7x the real ratios. Members smaller than RATIO_FROM_BYTES are not
# held to it: a small file's ratio says little, and a small bomb is harmless.
MAX_RATIO = 200
RATIO_FROM_BYTES = 64 << 20
# CSV lines. Real headers are < 1 KB (at most 19 names; Python's csv module refuses a field
# over 128 KB anyway); real rows average ~260 bytes (basic data: 97 MB / 378,000 rows).
# MAX_LINE_BYTES is Arrow's block size: a row up to it is always read, one over twice it always
# refused (a row may straddle one block boundary, not two). A field of a column that is read
# is capped on its own, exactly.
MAX_HEADER_BYTES = 128 << 10
MAX_LINE_BYTES = 4 << 20
MAX_FIELD_BYTES = 256 << 10
# JSON items. Real items nest 4 deep below the array and average ~12 KB (general data: 4.6 GB
# / 378,000); one item is held whole while it is parsed, as bytes and as Python objects.
MAX_JSON_DEPTH = 64  # containers, the top-level array counted
MAX_JSON_ITEM_BYTES = 64 << 20


def size_text(n: int) -> str:
    """A byte count for a message: "4.6 GB", "300 MB", "128 KB", "12 bytes"."""
    for unit, shift in (("GB", 30), ("MB", 20), ("KB", 10)):
        if n >= 1 << shift:
            value = n / (1 << shift)
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{n} bytes"


def max_bytes(source: Source) -> int:
    """The cap on the unpacked size of one file of this kind."""
    return MAX_JSON_BYTES if source.kind == "json" else MAX_CSV_BYTES


def list_drops(raw: Path) -> list[tuple[dt.date, Path]]:
    """Every drop folder `<raw>/<YYYY-MM-DD>/`, in date order. Hidden folders (an unfinished
    atomic write) are skipped; any other folder name is an error, not silently ignored."""
    raw = Path(raw)
    if not raw.is_dir():
        raise IngestError(f"{raw}: raw drop folder not found")
    drops = []
    for path in raw.iterdir():
        if not path.is_dir() or path.name.startswith("."):
            continue
        if not DROP_FOLDER.fullmatch(path.name):
            raise IngestError(f"{path}: a drop folder must be named YYYY-MM-DD")
        try:
            drops.append((dt.date.fromisoformat(path.name), path))
        except ValueError as exc:
            raise IngestError(f"{path}: {path.name!r} is not a date") from exc
    return sorted(drops)


@dataclass(frozen=True)
class DropFile:
    """One file of a drop: where it is, the name of what it holds, and which family that is
    (None when no family of `formats.FILE_FAMILIES` recognises it)."""

    path: Path
    logical: str  # the unzipped name: `X` for `X.zip`, `S.csv` for a report zip `S[_N].zip`
    family: F.FileFamily | None
    groups: dict[str, str]  # the name's parameters: cutoff, year, quarter, ...

    def source(self, drop: str) -> Source:
        kind = "json" if self.logical.endswith(".json") else "csv"
        return Source(drop, self.logical, kind)


def classify(folder: Path, drop: str) -> list[DropFile]:
    """Every file of a drop folder with its family, sorted by name. Two files holding the same
    logical file (a plain file beside its zip, or `S.zip` beside `S_1.zip`) are an error: which
    one is whole cannot be told, and silently preferring one can rewrite history."""
    found: dict[str, DropFile] = {}
    for path in sorted(p for p in Path(folder).iterdir() if p.is_file()):
        if path.name.startswith("."):
            continue
        logical = F.logical_name(path.name)
        family = F.family_of(path.name)
        if family is None:
            found[path.name] = DropFile(path, path.name, None, {})
            continue
        if logical in found:
            raise IngestError(
                f"drop {drop}: {logical}: held twice, by {found[logical].path.name} and "
                f"{path.name} (a drop holds each file once; remove one)"
            )
        groups = {k: v for k, v in family.match(logical).groupdict().items() if v is not None}
        if (zipped := F.REPORT_ZIP.fullmatch(path.name)) and zipped["copy"]:
            groups["copy"] = zipped["copy"]
        found[logical] = DropFile(path, logical, family, groups)
    return sorted(found.values(), key=lambda f: f.path.name)


def drop_fingerprint(folder: Path) -> str:
    """sha256 over the drop's file names, sizes and modification times (no byte read): while
    it matches the one recorded when the drop was applied, the drop is taken as unchanged; a
    copy that does not keep the times only costs a `drop_checksum` again."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def drop_checksum(folder: Path) -> str:
    """sha256 over the drop's file names and bytes: tells a re-sent drop from a changed one."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        digest.update(path.name.encode("utf-8") + b"\0")
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(CHUNK), b""):
                digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def open_binary(path: Path, source: Source) -> Iterator[IO[bytes]]:
    """A binary stream of the file's content; a zip yields its member of the same stem.

    A file larger than its kind's cap (`max_bytes`) is refused before anything is read; so is a
    zip member whose header declares more than that, a ratio above MAX_RATIO, or more packed
    bytes than the archive holds. The member is then read through `_Member`, which stops at the
    size its header declares (a header that lies is refused, not believed)."""
    cap = max_bytes(source)
    if path.suffix != ".zip":
        size = path.stat().st_size
        if size > cap:
            raise source.error(
                f"{path.name} is {size_text(size)}, more than the {size_text(cap)} a "
                f"{source.kind.upper()} file may hold (files.MAX_{source.kind.upper()}_BYTES)"
            )
        with path.open("rb") as fh:
            yield fh
        return
    try:
        zf = zipfile.ZipFile(path)
    except _BAD_ZIP as exc:
        raise source.error(
            f"{path.name} is not a readable zip (truncated or corrupt): {exc}"
        ) from exc
    with zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        member = source.file if source.file in names else (names[0] if len(names) == 1 else None)
        if member is None:
            raise source.error(f"{path.name} does not contain {source.file}")
        info = zf.getinfo(member)
        _check_member(path, info, source, cap)
        try:
            fh = zf.open(info)
        except _BAD_ZIP as exc:
            raise source.error(f"truncated or corrupt zip: {exc}") from exc
        with fh:
            yield _Member(fh, source, _member_name(path, member, source), info.file_size)


def _member_name(path: Path, member: str, source: Source) -> str:
    return path.name if member == source.file else f"{member} in {path.name}"


def _check_member(path: Path, info: zipfile.ZipInfo, source: Source, cap: int) -> None:
    """Refuse a member by what its header declares, before inflating any of it."""
    unpacked, packed = info.file_size, info.compress_size
    ratio = unpacked / max(packed, 1)
    what = (
        f"{_member_name(path, info.filename, source)} declares {size_text(unpacked)} unpacked "
        f"from {size_text(packed)} ({ratio:.0f}:1)"
    )
    if unpacked > cap:
        raise source.error(
            f"{what}: more than the {size_text(cap)} a {source.kind.upper()} file may hold "
            f"(files.MAX_{source.kind.upper()}_BYTES; a zip bomb?)"
        )
    if unpacked >= RATIO_FROM_BYTES and ratio > MAX_RATIO:
        raise source.error(
            f"{what}: a compression ratio above {MAX_RATIO}:1 (files.MAX_RATIO; real files are "
            "~20-30:1: a zip bomb?)"
        )
    if packed > path.stat().st_size:
        raise source.error(
            f"{what}: more packed bytes than the whole archive holds "
            f"({size_text(path.stat().st_size)}): its header lies (corrupt or tampered zip)"
        )


class _Member:
    """A zip member's stream that never yields more than its header declares.

    CPython's zipfile stops there too and then fails the CRC check; this does not rely on it,
    and names the member and its declared size either way. Reads pass straight through (no
    copy): the fast JSON path reads 1 MB blocks through it."""

    def __init__(self, raw: IO[bytes], source: Source, name: str, declared: int) -> None:
        self.raw, self.source, self.name, self.declared = raw, source, name, declared
        self.done = 0

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self.declared - self.done + 1  # never unbounded: at most one byte too many
        return self._count(self._call(self.raw.read, size))

    def readline(self, limit: int | None = -1) -> bytes:
        if limit is None or limit < 0:
            limit = self.declared - self.done + 1
        return self._count(self._call(self.raw.readline, limit))

    def _call(self, read, size: int) -> bytes:
        try:
            return read(size)
        except _BAD_ZIP as exc:
            raise self.source.error(
                f"{self.name}: its content does not match its header ({size_text(self.declared)}"
                f" declared, {size_text(self.done)} read so far): a truncated, corrupt or "
                f"tampered zip ({exc})"
            ) from exc

    def _count(self, data: bytes) -> bytes:
        self.done += len(data)
        if self.done > self.declared:
            raise self.source.error(
                f"{self.name}: inflates to more than the {size_text(self.declared)} its header "
                "declares: a corrupt or tampered zip"
            )
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def writable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return self.raw.closed

    def close(self) -> None:
        self.raw.close()


# ------------------------------------------------------------------------------ text
def _scan_encoding(fh: IO[bytes], encoding: str) -> tuple[int, int, str] | None:
    """(byte offset, line, reason) of the first byte of a stream that is not `encoding` text,
    or None when all of it is; block by block, nothing kept."""
    if codecs.lookup(encoding).name == "utf-8-sig":
        encoding = "utf-8"  # a BOM is valid UTF-8 (and counted as bytes of line 1)
    decoder = codecs.getincrementaldecoder(encoding)()
    offset, lines = 0, 0  # bytes fed before this block; line ends among them
    while True:
        block = fh.read(CHUNK)
        held = decoder.getstate()[0]  # the bytes of an unfinished character, fed before
        try:
            decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            seen = held + block  # what that decode call was given: `exc` counts in it
            line = lines + seen[: exc.start].count(b"\n") + 1
            return offset - len(held) + exc.start, line, exc.reason
        if not block:
            return None
        offset += len(block)
        lines += block.count(b"\n")


def undecodable(path: Path, source: Source, encoding: str) -> str | None:
    """Where the file first fails to be `encoding` text ("line L: not valid utf-8 text at byte
    offset N (reason)"), or None when it is valid throughout."""
    with open_binary(path, source) as fh:
        found = _scan_encoding(fh, encoding)
    if found is None:
        return None
    at, line, reason = found
    name = codecs.lookup(encoding).name.removesuffix("-sig")
    return f"line {line}: not valid {name} text at byte offset {at} ({reason})"


def choose_encoding(path: Path, source: Source, encodings: tuple[str, ...]) -> str:
    """The first of `encodings` the whole file decodes in (checked streaming); an error naming
    the line and byte offset where even the last one fails."""
    for encoding in encodings:
        problem = undecodable(path, source, encoding)
        if problem is None:
            return encoding
    raise source.error(problem)


# ------------------------------------------------------------ small files, read whole
# None of ingest's readers reads a file whole; these two remain for checks of small files
# (scoring.daily checks a downloaded older EMTA file this way).
MAX_WHOLE_BYTES = 256 << 20  # what read_bytes returns at most: the small files are < 50 MB


def read_bytes(path: Path, source: Source, limit: int = MAX_WHOLE_BYTES) -> bytes:
    """The whole (unzipped) content of a small file; an error beyond `limit` bytes (the zip
    caps of `open_binary` apply first)."""
    with open_binary(path, source) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise source.error(
            f"more than {size_text(limit)}: too large to be read whole (files.MAX_WHOLE_BYTES)"
        )
    return data


def decode(data: bytes, source: Source, encodings: tuple[str, ...]) -> str:
    """Text in the first encoding that fits; an error with the line and byte offset of the
    first bad byte."""
    for encoding in encodings[:-1]:
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode(encoding)
    try:
        return data.decode(encodings[-1])
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        name = codecs.lookup(encodings[-1]).name.removesuffix("-sig")
        raise source.error(
            f"line {line}: not valid {name} text at byte offset {exc.start} ({exc.reason})"
        ) from exc
