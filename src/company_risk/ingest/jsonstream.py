"""The register's big JSON arrays, streamed item by item in bounded memory.

RIK's general-data file is a 4.6 GB top-level array (1.0 GB for the persons on the card),
pretty-printed with a 4-space indent: each item starts on a line `    {` and ends on a line
`    }`. Deeper lines are indented more and a JSON string cannot hold a raw newline, so in that
layout a top-level item ends exactly where a line is `    }`. The reader takes binary blocks of
the (inflated) file, cuts each after its last such line, and parses all complete items of the
block with one `orjson.loads`. Any other layout (compact, one item per line, another indent)
goes through a general cut finder that tracks string and nesting state over the block with
numpy, also block by block. Either way the bytes are never decoded to `str` by this module and
a block is scanned once.

Structural faults raise `Source.error`: not an array, invalid JSON (with the 1-based `item N`
where it is), a truncated file, an item that is not an object, data after the array.
"""

from __future__ import annotations

import contextlib
import gc
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import numpy as np
import orjson

from company_risk import formats as F
from company_risk.ingest.errors import Source
from company_risk.ingest.files import open_binary

BLOCK_SIZE = 1 << 20  # bytes read (inflated) and parsed at a time: small blocks stay in the
# CPU caches between inflating and parsing (16 MB blocks made the whole read ~15 % slower)
MAX_ITEM = 256 << 20  # no item end within this many bytes: not an array of objects we can read
_BAD_ZIP = (zipfile.BadZipFile, EOFError, zlib.error, OSError, NotImplementedError)
_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"
_INDENT = b" " * F.RIK_JSON_INDENT
_PRETTY_END = b"\n" + _INDENT + b"}"  # the last line of a top-level item in RIK's layout
_QUOTE, _BACKSLASH = 0x22, 0x5C
_OPENS = np.zeros(256, dtype=bool)
_OPENS[[ord("{"), ord("[")]] = True
_BRACKETS = _OPENS.copy()
_BRACKETS[[ord("}"), ord("]")]] = True


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
    """The state of one pass over an array: the unparsed tail, how many items were yielded,
    which cut finder is in use, and the general finder's scan state."""

    def __init__(self, source: Source, extract: Callable[[dict], object], block_size: int):
        self.source, self.extract = source, extract
        self.switch_after = max(4 * block_size, 64 << 20)  # pretty mode without a cut: general
        self.count = 0  # items yielded
        self.pretty = False
        self._reset_scan(0)

    # -------------------------------------------------------------------------- the pass
    def items(self, blocks: Iterator[bytes]) -> Iterator[tuple[int, object]]:
        pending, eof = self._start(blocks)
        while True:
            cut, closed = self._find_cut(pending)
            if cut:
                yield from self._parse(memoryview(pending)[:cut])
                pending = pending[cut:]
                self.scanned = max(self.scanned - cut, 0)
            if closed:
                self._finish(pending, blocks, eof)
                return
            if eof:
                if self.pretty:  # what is left is not in the layout: let nesting tell
                    self.pretty = False
                    self._reset_scan(0)
                    continue
                raise self.source.error(
                    f"ends inside the array after {self.count} item(s) (truncated?)"
                )
            if self.pretty and len(pending) > self.switch_after:
                self.pretty = False  # not the layout it started in: track nesting instead
                self._reset_scan(0)
            elif len(pending) > MAX_ITEM:
                raise self.source.error(
                    f"no end of an item within {MAX_ITEM >> 20} MB (not an array of objects?)",
                    self.count,
                )
            block = next(blocks)
            eof = not block
            pending += block

    def _start(self, blocks: Iterator[bytes]) -> tuple[bytes, bool]:
        """Past the BOM, whitespace and `[`; picks the cut finder from the first item's shape.
        Returns the bytes after `[` read so far, and whether the file has ended."""
        head, eof = b"", False
        while not eof and len(head.lstrip(_WHITESPACE)) < 32:
            block = next(blocks)
            eof = not block
            head += block
        body = head.removeprefix(_BOM).lstrip(_WHITESPACE)
        if not body.startswith(b"["):
            found = repr(body[:1].decode("utf-8", "replace")) if body else "an empty file"
            raise self.source.error(f"not a JSON array (expected '[' at the start, found {found})")
        body = body[1:]
        item_start = b"\n" + _INDENT + b"{\n" + _INDENT * 2 + b'"'
        self.pretty = body.replace(b"\r\n", b"\n").startswith(item_start)
        return body, eof

    def _finish(self, pending: bytes, blocks: Iterator[bytes], eof: bool) -> None:
        """After the closing `]`: only whitespace may follow, to the end of the file."""
        rest = pending.lstrip(_WHITESPACE)[1:]  # past the `]`
        while True:
            if rest.strip(_WHITESPACE):
                raise self.source.error(
                    f"data after the end of the array (after {self.count} items)"
                )
            if eof:
                return
            rest = next(blocks)
            eof = not rest

    # ----------------------------------------------------------------------- cut finders
    def _find_cut(self, pending: bytes) -> tuple[int, bool]:
        """(end of the last complete item in `pending`, 0 if none; whether the array's `]`
        follows it)."""
        if self.pretty:
            at = pending.rfind(_PRETTY_END)
            cut = 0 if at < 0 else at + len(_PRETTY_END)
            return cut, pending[cut:].lstrip(_WHITESPACE).startswith(b"]")
        ends, close = self._scan(pending)
        if close is not None:
            return close, True
        return (int(ends[-1]) if len(ends) else 0), False

    def _reset_scan(self, scanned: int) -> None:
        self.scanned, self.depth, self.in_string, self.backslashes = scanned, 1, False, 0

    def _scan(self, pending: bytes) -> tuple[np.ndarray, int | None]:
        """Scan the bytes of `pending` not scanned yet: the ends of the items closing in them
        (depth back to 1, the array's own level), and where the array closes (depth 0)."""
        start, self.scanned = self.scanned, len(pending)
        if start >= len(pending):
            return np.zeros(0, dtype=np.int64), None
        new = np.frombuffer(pending, dtype=np.uint8, offset=start)
        ends, close, self.depth, self.in_string, self.backslashes = _structure(
            new, self.depth, self.in_string, self.backslashes
        )
        if close is not None:
            if new[close] != ord("]"):
                raise self.source.error(
                    f"invalid JSON after item {self.count} (unbalanced brackets)", self.count
                )
            close += start
        return ends + start, close

    # --------------------------------------------------------------------------- parsing
    def _parse(self, piece: memoryview) -> Iterator[tuple[int, object]]:
        """Every item of a run of complete items (with their separators), parsed at once."""
        body = self._body(piece)
        if body is None:
            return
        try:
            values = orjson.loads(b"".join((b"[", body, b"]")))
        except orjson.JSONDecodeError as exc:
            self._locate(body, exc)
        for value in values:
            yield self.count, self._extract(value)
            self.count += 1

    def _body(self, piece: memoryview) -> memoryview | None:
        """The items of a piece without the `,` that separates them from the previous piece;
        None when the piece is only whitespace."""
        start = _skip_whitespace(piece, 0)
        if start == len(piece):
            return None
        if self.count:
            if piece[start] != ord(","):
                raise self.source.error(
                    f"invalid JSON: expected ',' or ']' after item {self.count}", self.count - 1
                )
            start = _skip_whitespace(piece, start + 1)
            if start == len(piece):
                raise self.source.error("invalid JSON: no item after ','", self.count)
        return piece[start:]

    def _locate(self, body: memoryview, error: orjson.JSONDecodeError) -> None:
        """Raise the error of the first bad item of a piece that did not parse, found by
        parsing its items one by one (split by nesting, whatever the layout)."""
        ends, *_ = _structure(np.frombuffer(body, dtype=np.uint8), 1, False, 0)
        starts = [0, *(int(e) for e in ends)]
        for index, (a, b) in enumerate(zip(starts, [*starts[1:], len(body)], strict=True)):
            text = bytes(body[a:b]).lstrip(_WHITESPACE)
            if index:
                text = text.removeprefix(b",")
            if not text.strip(_WHITESPACE):
                break
            try:
                orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                raise self.source.error(f"invalid JSON ({exc})", self.count + index) from exc
        raise self.source.error(f"invalid JSON ({error})", self.count) from error

    def _extract(self, value: object) -> object:
        if not isinstance(value, dict):
            raise self.source.error(f"expected an object, found {_json_type(value)}", self.count)
        try:
            return self.extract(value)
        except (AttributeError, TypeError, IndexError, KeyError, ValueError) as exc:
            raise self.source.error(f"unexpected structure ({exc})", self.count) from exc


def _skip_whitespace(data: memoryview, at: int) -> int:
    while at < len(data) and data[at] in _WHITESPACE:
        at += 1
    return at


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    return {list: "an array", str: "a string", bool: "a boolean"}.get(type(value), "a number")


def _structure(
    data: np.ndarray, depth: int, in_string: bool, backslashes: int
) -> tuple[np.ndarray, int | None, int, bool, int]:
    """Nesting over bytes of JSON, continuing from the state at their start.

    Returns the offsets just past every `}`/`]` that brings the depth back to 1 (the end of a
    top-level item), the offset of the first byte that brings it to 0 (the array's close) or
    None, and the state at the end: depth, whether inside a string, and the run of trailing
    backslashes (an escaped quote may straddle two blocks).
    """
    quotes = np.flatnonzero(data == _QUOTE)
    if len(quotes):
        # a quote preceded by an odd run of backslashes is escaped: count those runs by hand
        # (they are rare: `\"` inside names)
        after_bs = quotes[(quotes > 0) & (data[quotes - 1] == _BACKSLASH)]
        if len(quotes) and quotes[0] == 0 and backslashes:
            after_bs = np.concatenate(([0], after_bs))
        escaped = [q for q in after_bs.tolist() if _run(data, q, backslashes) % 2]
        if escaped:
            quotes = np.setdiff1d(quotes, np.asarray(escaped, dtype=quotes.dtype))
    brackets = np.flatnonzero(_BRACKETS[data])
    outside = (np.searchsorted(quotes, brackets) + in_string) % 2 == 0
    brackets = brackets[outside]
    steps = np.where(_OPENS[data[brackets]], 1, -1)
    depths = depth + np.cumsum(steps)
    closes = np.flatnonzero(depths <= 0)
    close = int(brackets[closes[0]]) if len(closes) else None
    ends = brackets[(depths == 1) & (steps < 0)] + 1
    if close is not None:
        ends = ends[ends <= close]
    new_in_string = bool((len(quotes) + in_string) % 2)
    trailing = _run(data, len(data), backslashes)
    return ends, close, int(depths[-1]) if len(depths) else depth, new_in_string, trailing


def _run(data: np.ndarray, end: int, carried: int) -> int:
    """How many backslashes immediately precede offset `end` (those of the previous block
    count when the run reaches the start)."""
    run = 0
    while run < end and data[end - 1 - run] == _BACKSLASH:
        run += 1
    return run + carried if run == end else run


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
