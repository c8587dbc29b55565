"""The register's big JSON arrays, streamed item by item in bounded memory and linear time.

RIK's general-data file is a 4.6 GB top-level array (1.0 GB for the persons on the card),
pretty-printed with a 4-space indent: each item starts on a line `    {` and ends on a line
`    }`. Deeper lines are indented more and a JSON string cannot hold a raw newline, so in that
layout a top-level item ends exactly where a line is `    }`. The reader takes binary blocks of
the (inflated) file, finds the last such line in each new block, and parses all complete items
before it with one `orjson.loads`. Any other layout (compact, one item per line, another indent)
goes through a general cut finder that tracks string and nesting state over each new block with
numpy. Either way every byte is scanned once: the blocks of an unfinished item are kept as a
list and joined once, when the item ends, so a huge item or an unterminated string costs time
linear in its size, and no more than `files.MAX_JSON_ITEM_BYTES` of it is ever held.

Structural faults raise `Source.error`: an empty file, not an array, invalid JSON or text that
is not UTF-8 (with the 1-based `item N` where it is, and the byte offset of a bad byte), an item
larger than `files.MAX_JSON_ITEM_BYTES`, nesting deeper than `files.MAX_JSON_DEPTH`, a truncated
file (the item cut off, and whether inside a string), an item that is not an object, data after
the array.

Nesting: the general finder counts every bracket, so it refuses a 65th level wherever it is.
The pretty layout's fast path does not count brackets (that would cost as much as the general
finder); there orjson's own limit (1,024 levels) refuses deeper nesting, with the same named
error. Depths between the two are harmless: orjson does not recurse on the C stack past its
limit, and the readers only look 3 levels into an item.
"""

from __future__ import annotations

import contextlib
import gc
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import numpy as np
import orjson

from company_risk import formats as F
from company_risk.ingest.errors import Source
from company_risk.ingest.files import (
    MAX_JSON_DEPTH,
    MAX_JSON_ITEM_BYTES,
    open_binary,
    size_text,
)

BLOCK_SIZE = 1 << 20  # bytes read (inflated) and parsed at a time: small blocks stay in the
# CPU caches between inflating and parsing (16 MB blocks made the whole read ~15 % slower)
SWITCH_AFTER = 16 << 20  # the pretty layout without an item end this long: not that layout
_BAD_ZIP = (zipfile.BadZipFile, EOFError, zlib.error, OSError, NotImplementedError)
_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"
_NON_SPACE = re.compile(rb"[^ \t\r\n]")
_INDENT = b" " * F.RIK_JSON_INDENT
_PRETTY_END = b"\n" + _INDENT + b"}"  # the last line of a top-level item in RIK's layout
_EDGE = len(_PRETTY_END) - 1  # bytes of a block kept to find an item end across two blocks
_CLOSE = ord("]")
_QUOTE, _BACKSLASH = 0x22, 0x5C
_OPENS = np.zeros(256, dtype=bool)
_OPENS[[ord("{"), ord("[")]] = True
_BRACKETS = _OPENS.copy()
_BRACKETS[[ord("}"), ord("]")]] = True
_NONE = np.zeros(0, dtype=np.int64)


def iter_json_array(
    path: Path,
    source: Source,
    extract: Callable[[dict], object],
    block_size: int = BLOCK_SIZE,
) -> Iterator[tuple[int, object]]:
    """Yield (position, extract(item)) for each item of the file's top-level JSON array of
    objects, in order; `position` is 0-based (`source.row` names it `item N`). The file may be
    zipped (see `files.open_binary`). Memory: about one block and one item of text, and the
    parsed items of one block."""
    try:
        with (
            open_binary(path, source) as raw,
            contextlib.closing(_blocks(raw, block_size)) as blocks,
        ):
            yield from _ArrayReader(source, extract, block_size).items(blocks)
    except _BAD_ZIP as exc:
        raise source.error(f"truncated or corrupt zip: {exc}") from exc


def _blocks(raw: IO[bytes], size: int) -> Iterator[bytes]:
    """The file's blocks (inflated when zipped), ending with an empty one. (Reading ahead in
    a thread gained nothing: zlib's streaming inflate takes the GIL back for every output
    chunk, so it waits on the parser instead of running beside it.)"""
    while True:
        block = raw.read(size)
        yield block
        if not block:
            return


class _ArrayReader:
    """The state of one pass over an array: the unparsed bytes (`parts`, from file offset
    `offset`), how many items were yielded, which cut finder is in use, and the general
    finder's scan state at the end of `parts`."""

    def __init__(self, source: Source, extract: Callable[[dict], object], block_size: int):
        self.source, self.extract = source, extract
        self.switch_after = min(max(4 * block_size, SWITCH_AFTER), MAX_JSON_ITEM_BYTES)
        self.count = 0  # items yielded
        self.pretty = False
        self.parts: list[bytes] = []  # the unparsed bytes, in order; joined only at a cut
        self.size = 0  # their length
        self.offset = 0  # the file offset of their first byte
        self.first: int | None = None  # their first byte that is not whitespace
        self.edge = b""  # their last _EDGE bytes (an item end may straddle two blocks)
        self.ends = 0  # item ends the general finder found in `parts` (before a rescan's cut)
        self.close: int | None = None  # where in `parts` it found the array's close
        self._reset_scan()

    # -------------------------------------------------------------------------- the pass
    def items(self, blocks: Iterator[bytes]) -> Iterator[tuple[int, object]]:
        cut, eof = self._start(blocks)
        while True:
            if cut:
                yield from self._take(cut)
            if self.first == _CLOSE:
                self._finish(blocks, eof)
                return
            if eof:
                if not self.pretty:
                    raise self._truncated()
                self.pretty = False  # what is left is not in the layout: let nesting tell
                cut = self._rescan()
                continue
            if self.size > MAX_JSON_ITEM_BYTES:
                raise self.source.error(
                    f"no end of this item within {size_text(MAX_JSON_ITEM_BYTES)} "
                    f"(files.MAX_JSON_ITEM_BYTES){self._where()}: an item this large, or an "
                    "unterminated string (not an array of objects?)",
                    self.count,
                )
            if self.pretty and self.size > self.switch_after:
                self.pretty = False  # not the layout it started in: track nesting instead
                cut = self._rescan()
                continue
            block = next(blocks)
            eof = not block
            cut = self._add(block) if block else 0

    def _start(self, blocks: Iterator[bytes]) -> tuple[int, bool]:
        """Past the BOM, whitespace and `[`; picks the cut finder from the first item's shape.
        Returns the cut in what was read after the `[`, and whether the file has ended."""
        head, eof, read = b"", False, 0
        while not eof and len(head) < len(_BOM):
            block = next(blocks)
            eof, read, head = not block, read + len(block), head + block
        skipped = len(_BOM) if head.startswith(_BOM) else 0
        head = head[skipped:]
        while True:  # leading whitespace is dropped as it comes: never held
            body = head.lstrip(_WHITESPACE)
            skipped += len(head) - len(body)
            head = body
            if eof or len(head) >= 32:
                break
            block = next(blocks)
            eof, read, head = not block, read + len(block), head + block
        if not head:
            what = "empty (0 bytes)" if read == 0 else "empty (nothing but whitespace)"
            raise self.source.error(f"the file is {what}: not a JSON array")
        if not head.startswith(b"["):
            found = repr(head[:1].decode("utf-8", "replace"))
            raise self.source.error(f"not a JSON array (expected '[' at the start, found {found})")
        body = head[1:]
        item_start = b"\n" + _INDENT + b"{\n" + _INDENT * 2 + b'"'
        self.pretty = body.replace(b"\r\n", b"\n").startswith(item_start)
        self.offset = skipped + 1
        return (self._add(body) if body else 0), eof

    def _finish(self, blocks: Iterator[bytes], eof: bool) -> None:
        """At the closing `]` (the first byte of `parts` that is not whitespace): only
        whitespace may follow, to the end of the file."""
        data = b"".join(self.parts)
        rest = data[_NON_SPACE.search(data).start() + 1 :]  # past the `]`
        while True:
            if _NON_SPACE.search(rest):
                raise self.source.error(
                    f"data after the end of the array (after {self.count} items)"
                )
            if eof:
                return
            rest = next(blocks)
            eof = not rest

    def _truncated(self):
        if self.first is None:
            return self.source.error(
                f"ends inside the array after {self.count} item(s): the array is not closed "
                "(truncated?)"
            )
        inside = " inside a string" if self.in_string else ""
        return self.source.error(
            f"ends inside the array after {self.count} item(s): item {self.count + 1} is cut "
            f"off{inside} at byte offset {self.offset + self.size} (truncated?)"
        )

    def _where(self) -> str:
        return " (inside a string)" if not self.pretty and self.in_string else ""

    # ----------------------------------------------------------------------- cut finders
    def _add(self, block: bytes) -> int:
        """Append a block to `parts`: the end of the last complete item in `parts` (0 if
        none), or where the array closes."""
        start = self.size
        self.parts.append(block)
        self.size += len(block)
        if self.first is None and (found := _NON_SPACE.search(block)):
            self.first = block[found.start()]
        if not self.pretty:
            return self._scan(block, start)
        at = block.rfind(_PRETTY_END)
        if at >= 0:
            cut = start + at + len(_PRETTY_END)
        else:
            edge = self.edge + block[:_EDGE]
            at = edge.rfind(_PRETTY_END)
            cut = max(start - len(self.edge) + at + len(_PRETTY_END), 0) if at >= 0 else 0
        self.edge = block[-_EDGE:] if len(block) >= _EDGE else (self.edge + block)[-_EDGE:]
        return cut

    def _reset_scan(self) -> None:
        self.depth, self.in_string, self.backslashes = 1, False, 0

    def _rescan(self) -> int:
        """Scan all of `parts` with the general finder from the state between two items."""
        self._reset_scan()
        self.ends, self.close = 0, None
        cut, start = 0, 0
        for part in self.parts:
            cut = self._scan(part, start) or cut
            start += len(part)
            if self.close is not None:
                break
        return cut

    def _scan(self, block: bytes, start: int) -> int:
        """The general finder over a new block at `start` in `parts`, continuing the state:
        the end of the last item closing in it (depth back to 1, the array's own level), or
        where the array closes (depth 0); 0 when neither."""
        new = np.frombuffer(block, dtype=np.uint8)
        ends, close, deep, self.depth, self.in_string, self.backslashes = _structure(
            new, self.depth, self.in_string, self.backslashes
        )
        if deep is not None:
            item = self.count + self.ends + int(np.count_nonzero(ends <= deep))
            raise self.source.error(
                f"nested deeper than {MAX_JSON_DEPTH} levels (files.MAX_JSON_DEPTH) at byte "
                f"offset {self.offset + start + deep}",
                item,
            )
        if close is not None:
            if new[close] != _CLOSE:
                raise self.source.error(
                    f"invalid JSON after item {self.count} (unbalanced brackets)", self.count
                )
            self.close = start + close
            return start + close
        self.ends += len(ends)
        return start + int(ends[-1]) if len(ends) else 0

    # --------------------------------------------------------------------------- parsing
    def _take(self, cut: int) -> Iterator[tuple[int, object]]:
        """Parse the items before `cut` and keep what follows."""
        data = self.parts[0] if len(self.parts) == 1 else b"".join(self.parts)
        yield from self._parse(memoryview(data)[:cut])
        rest = data[cut:]
        self.parts = [rest] if rest else []
        self.size, self.ends, self.close = len(rest), 0, None
        self.offset += cut
        found = _NON_SPACE.search(rest)
        self.first = rest[found.start()] if found else None

    def _parse(self, piece: memoryview) -> Iterator[tuple[int, object]]:
        """Every item of a run of complete items (with their separators), parsed at once."""
        start = self._body(piece)
        if start is None:
            return
        body = piece[start:]
        try:
            values = orjson.loads(b"".join((b"[", body, b"]")))
        except orjson.JSONDecodeError as exc:
            self._locate(body, self.offset + start, exc)
        for value in values:
            yield self.count, self._extract(value)
            self.count += 1

    def _body(self, piece: memoryview) -> int | None:
        """Where the items of a piece start, past the `,` that separates them from the previous
        piece; None when the piece is only whitespace."""
        found = _NON_SPACE.search(piece)
        if found is None:
            return None
        start = found.start()
        if self.count:
            if piece[start] != ord(","):
                raise self.source.error(
                    f"invalid JSON: expected ',' or ']' after item {self.count}", self.count - 1
                )
            found = _NON_SPACE.search(piece, start + 1)
            if found is None:
                raise self.source.error("invalid JSON: no item after ','", self.count)
            start = found.start()
        return start

    def _locate(self, body: memoryview, offset: int, error: orjson.JSONDecodeError) -> None:
        """Raise the error of the first bad item of a piece that did not parse (`offset`: the
        file offset of `body`), found by parsing its items one by one (split by nesting,
        whatever the layout)."""
        ends, *_ = _structure(np.frombuffer(body, dtype=np.uint8), 1, False, 0)
        starts = [0, *(int(e) for e in ends)]
        for index, (a, b) in enumerate(zip(starts, [*starts[1:], len(body)], strict=True)):
            raw = bytes(body[a:b])
            text = raw.lstrip(_WHITESPACE)
            if index:
                text = text.removeprefix(b",")
            if not text.strip(_WHITESPACE):
                break
            try:
                orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                raise self._invalid(exc, raw, offset + a, self.count + index) from exc
        raise self._invalid(error, bytes(body), offset, self.count) from error

    def _invalid(self, exc: orjson.JSONDecodeError, raw: bytes, offset: int, position: int):
        """The error of an item that does not parse: text that is not UTF-8 (with the byte
        offset), nesting past orjson's limit, or invalid JSON."""
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            return self.source.error(
                f"not valid UTF-8 text at byte offset {offset + bad.start} ({bad.reason}; "
                "the file must be UTF-8)",
                position,
            )
        if "depth" in str(exc) or "recursion" in str(exc):
            return self.source.error(
                f"nested deeper than {MAX_JSON_DEPTH} levels (files.MAX_JSON_DEPTH; {exc})",
                position,
            )
        return self.source.error(f"invalid JSON ({exc})", position)

    def _extract(self, value: object) -> object:
        if not isinstance(value, dict):
            raise self.source.error(f"expected an object, found {_json_type(value)}", self.count)
        try:
            return self.extract(value)
        except (AttributeError, TypeError, IndexError, KeyError, ValueError) as exc:
            raise self.source.error(f"unexpected structure ({exc})", self.count) from exc


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    return {list: "an array", str: "a string", bool: "a boolean"}.get(type(value), "a number")


def _structure(
    data: np.ndarray, depth: int, in_string: bool, backslashes: int
) -> tuple[np.ndarray, int | None, int | None, int, bool, int]:
    """Nesting over bytes of JSON, continuing from the state at their start; vectorised, so
    linear in the bytes whatever they hold (long runs of backslashes or escaped quotes too).

    Returns the offsets just past every `}`/`]` that brings the depth back to 1 (the end of a
    top-level item), the offset of the first byte that brings it to 0 (the array's close) or
    None, the offset of the first bracket that opens a level past `files.MAX_JSON_DEPTH` or
    None, and the state at the end: depth, whether inside a string, and the run of trailing
    backslashes (an escaped quote may straddle two blocks).
    """
    quotes = np.flatnonzero(data == _QUOTE)
    not_backslash = None
    if len(quotes):
        # a quote preceded by an odd run of backslashes is escaped (rare: `\"` inside names)
        before = data[np.maximum(quotes - 1, 0)] == _BACKSLASH
        before[quotes == 0] = backslashes > 0
        if before.any():
            candidates = np.flatnonzero(before)  # indices into `quotes`
            at = quotes[candidates]
            # most runs are one backslash (`\"`): told by the byte before it; longer runs and
            # runs reaching the block's start are counted
            two = data[np.maximum(at - 2, 0)] == _BACKSLASH
            two[at < 2] = True
            escaped = ~two
            if two.any():
                not_backslash = np.flatnonzero(data != _BACKSLASH)
                escaped[two] = _runs(not_backslash, at[two], backslashes) % 2 == 1
            if escaped.any():
                keep = np.ones(len(quotes), dtype=bool)
                keep[candidates[escaped]] = False
                quotes = quotes[keep]
    brackets = np.flatnonzero(_BRACKETS[data])
    outside = (np.searchsorted(quotes, brackets) + in_string) % 2 == 0
    brackets = brackets[outside]
    steps = np.where(_OPENS[data[brackets]], 1, -1)
    depths = depth + np.cumsum(steps)
    closes = np.flatnonzero(depths <= 0)
    close = int(brackets[closes[0]]) if len(closes) else None
    too_deep = np.flatnonzero(depths > MAX_JSON_DEPTH)
    deep = int(brackets[too_deep[0]]) if len(too_deep) else None
    if deep is not None and close is not None and deep > close:
        deep = None
    ends = brackets[(depths == 1) & (steps < 0)] + 1
    if close is not None:
        ends = ends[ends <= close]
    new_in_string = bool((len(quotes) + in_string) % 2)
    trailing = 0
    if len(data) and data[-1] == _BACKSLASH:
        if not_backslash is None:
            not_backslash = np.flatnonzero(data != _BACKSLASH)
        trailing = int(_runs(not_backslash, np.array([len(data)]), backslashes)[0])
    return ends, close, deep, int(depths[-1]) if len(depths) else depth, new_in_string, trailing


def _runs(not_backslash: np.ndarray, at: np.ndarray, carried: int) -> np.ndarray:
    """How many backslashes immediately precede each offset of `at`, given the offsets of the
    bytes that are not backslashes (those of the previous block count when a run reaches
    the start)."""
    last = np.searchsorted(not_backslash, at) - 1  # the last byte before `at` that is not one
    if not len(not_backslash):
        return at + carried
    start = np.where(last >= 0, not_backslash[np.maximum(last, 0)] + 1, 0)
    return at - start + np.where(last >= 0, 0, carried)


@contextlib.contextmanager
def quiet_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a big file is read and tabulated.

    Parsed JSON values hold no reference cycles, so reference counting frees every one of
    them; the cyclic collector would only walk, again and again, the millions of containers
    alive while a block is parsed or a table gathered (it made a national read ~1.5 times
    slower). Nested uses are fine: only the outermost re-enables it, and only if it was on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
