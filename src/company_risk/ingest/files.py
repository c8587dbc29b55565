"""Finding drops and opening their files, zipped or not, without loading big JSON at once.

RIK publishes each file as a zip of the same stem; users may also unpack them. Both are read the
same way (`open_binary`). The big JSON arrays (general data 4.6 GB, persons 1.0 GB unpacked at
national scale) are streamed item by item by `jsonstream.iter_json_array`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from company_risk import formats as F
from company_risk.ingest.errors import IngestError, Source

DROP_NAME = re.compile(r"\d{4}-\d{2}-\d{2}")
CHUNK = 1 << 20
_BAD_ZIP = (zipfile.BadZipFile, EOFError, zlib.error, OSError, NotImplementedError)


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
        if not DROP_NAME.fullmatch(path.name):
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
    """A binary stream of the file's content; a zip yields its member of the same stem."""
    if path.suffix != ".zip":
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
        with zf.open(member) as fh:
            yield fh


def read_bytes(path: Path, source: Source) -> bytes:
    """The whole (unzipped) content; for the CSV files, which pandas parses in one go."""
    try:
        with open_binary(path, source) as fh:
            return fh.read()
    except _BAD_ZIP as exc:
        raise source.error(f"truncated or corrupt zip: {exc}") from exc


def decode(data: bytes, source: Source, encodings: tuple[str, ...]) -> str:
    """Text in the first encoding that fits; a clear error with the line of the first bad byte."""
    for encoding in encodings[:-1]:
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode(encoding)
    try:
        return data.decode(encodings[-1])
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise source.error(f"line {line}: not valid {encodings[-1]} text ({exc.reason})") from exc
