"""Finding drops and opening their files, zipped or not, without loading big JSON at once.

RIK publishes each file as a zip of the same stem; users may also unpack them. Both are read the
same way. The general-data and persons JSON files are ~1 GB unpacked at national scale, so they
are streamed item by item (`iter_json_array`) and only the needed fields are kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

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


def find_file(folder: Path, name: str) -> Path | None:
    """The file `name` in a drop folder, or its zip `name.zip`; None when neither is there."""
    for candidate in (folder / name, folder / f"{name}.zip"):
        if candidate.is_file():
            return candidate
    return None


def file_names(folder: Path) -> list[str]:
    """The logical names of a drop's files (a zip counted under the name of its member)."""
    return sorted(p.name.removesuffix(".zip") for p in folder.iterdir() if p.is_file())


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
        names = zf.namelist()
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


class ItemCache:
    """What was extracted from each JSON item, keyed by the item's exact text, kept from one
    drop to the next: consecutive drops repeat almost every item verbatim, so a run over many
    drops decodes only the items that changed (see `read_json_items`)."""

    def __init__(self) -> None:
        self.previous: dict[str, object] = {}
        self.current: dict[str, object] = {}

    def next_drop(self) -> None:
        self.previous, self.current = self.current, {}


def read_json_items(
    path: Path, source: Source, extract: Callable[[dict], object], cache: ItemCache | None = None
) -> list[object]:
    """extract(item) for every item of the file's top-level JSON array, in order.

    With a cache and a file written one item per line, items are looked up by
    their text and only new ones are decoded; any other layout, and every error, goes through
    the streaming parser, which reports the bad item.
    """
    if cache is not None:
        items = _items_by_line(path, source, extract, cache)
        if items is not None:
            return items
    return [value for _, value in iter_json_array(path, source, extract)]


def _items_by_line(
    path: Path, source: Source, extract: Callable[[dict], object], cache: ItemCache
) -> list[object] | None:
    try:
        content = read_bytes(path, source).decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    lines = content.rstrip().split("\n")
    if len(lines) < 2 or lines[0].strip() != "[" or lines[-1].strip() != "]":
        return None
    body = [line.rstrip() for line in lines[1:-1]]
    if not all(line.endswith(",") for line in body[:-1]) or (body and body[-1].endswith(",")):
        return None
    keys = [line[:-1] for line in body[:-1]] + body[-1:]
    out = []
    for position, key in enumerate(keys):
        value = cache.previous.get(key)
        if value is None:
            try:
                item = json.loads(key)
            except json.JSONDecodeError:
                return None
            value = _extract(extract, item, source, position)
        cache.current[key] = value
        out.append(value)
    return out


def _extract(
    extract: Callable[[dict], object], item: object, source: Source, position: int
) -> object:
    if not isinstance(item, dict):
        raise source.error(f"expected an object, found {type(item).__name__}", position)
    try:
        return extract(item)
    except (AttributeError, TypeError, IndexError, KeyError) as exc:
        raise source.error(f"unexpected structure ({exc})", position) from exc


def iter_json_array(
    path: Path, source: Source, extract: Callable[[dict], object]
) -> Iterator[tuple[int, object]]:
    """Yield (position, extract(item)) for each item of a top-level JSON array of objects,
    holding about one chunk of the file in memory."""
    try:
        with open_binary(path, source) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig")
            yield from _array_items(text, source, extract)
    except UnicodeDecodeError as exc:
        raise source.error(f"not valid UTF-8 text ({exc.reason})") from exc
    except _BAD_ZIP as exc:
        raise source.error(f"truncated or corrupt zip: {exc}") from exc


_SPACE = re.compile(r"\s*")


def _array_items(
    text: IO[str], source: Source, extract: Callable[[dict], object]
) -> Iterator[tuple[int, object]]:
    decoder = json.JSONDecoder()
    buf, pos, eof = text.read(CHUNK), 0, False

    def refill() -> None:
        nonlocal buf, pos, eof
        more = text.read(CHUNK)
        eof = more == ""
        buf, pos = buf[pos:] + more, 0

    pos = _SPACE.match(buf, pos).end()
    if not buf[pos : pos + 1] == "[":
        raise source.error("not a JSON array (expected '[' at the start)")
    pos += 1
    count, after_item = 0, False
    while True:
        pos = _SPACE.match(buf, pos).end()
        if pos >= len(buf):
            if eof:
                raise source.error(f"ends inside the array after {count} item(s) (truncated?)")
            refill()
            continue
        char = buf[pos]
        if char == "]" and (after_item or count == 0):
            return
        if after_item:
            if char != ",":
                raise source.error(f"expected ',' or ']' after item {count}, found {char!r}")
            pos += 1
            after_item = False
            continue
        try:
            item, end = decoder.raw_decode(buf, pos)
        except json.JSONDecodeError as exc:
            if eof:
                raise source.error(f"invalid JSON ({exc.msg})", count) from exc
            refill()
            continue
        if end >= len(buf) and not eof:  # a number may continue in the next chunk
            refill()
            continue
        yield count, _extract(extract, item, source, count)
        count += 1
        pos, after_item = end, True
