"""Streaming readers of the formats' files: JSON lines or arrays, and CSV, with line numbers.

A bad byte, bad JSON or a ragged CSV row raises `InvalidData` naming the file and the line, so
that a user can open the file at the fault.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import tracker.dataset  # noqa: F401  - sets the process's one CSV field-size limit
from tracker.exc import InvalidData

__all__ = ["iter_json_records", "open_csv", "not_utf8", "utf8_error_line"]


def iter_json_records(path: Path, tolerant: bool = False) -> Iterator[tuple[int, Any]]:
    """Yield (line, object) from a JSON-lines file or a JSON array file.

    JSON lines stream one line at a time. A JSON array (a file whose first character is '[')
    has to be read whole, then is walked one element at a time so that each keeps its line
    number. Bad JSON raises `InvalidData` naming the file and line; with `tolerant`, a bad line
    of a JSON-lines file is yielded as that `InvalidData` instead, so that the caller can count
    it and go on (the next line is a record of its own; inside an array there is no next).
    """
    try:
        yield from _json_records(path, tolerant)
    except UnicodeDecodeError:
        raise not_utf8(path) from None


def _json_records(path: Path, tolerant: bool = False) -> Iterator[tuple[int, Any]]:
    name = path.name
    with _open_text(path) as fh:
        first = ""
        while True:
            ch = fh.read(1)
            if not ch or not ch.isspace():
                first = ch
                break
        if first == "[":
            text = "[" + fh.read()
            yield from _iter_array(text, name)
            return
        fh.seek(0)
        for lineno, line in enumerate(_lines(fh, name), 1):
            line = line.strip().rstrip(",")
            if not line or line in {"[", "]"}:
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                error = InvalidData(f"{name}:{lineno}: not valid JSON: {exc.msg} (column {exc.colno})")
                if not tolerant:
                    raise error from None
                yield lineno, error


def _lines(fh: IO[str], name: str) -> Iterator[str]:
    while line := fh.readline():
        yield line


def utf8_error_line(path: Path) -> tuple[int, int]:
    """Line and byte value of the first invalid UTF-8 byte of a file.

    A text reader decodes in blocks, so the line it is on when decoding fails is not the line
    of the bad byte; this reads the bytes again (on the error path only) to find it.
    """
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as fh:
        while block := fh.read(1 << 16):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return line + block.count(b"\n", 0, max(exc.start, 0)), block[exc.start] if exc.start < len(block) else 0
            line += block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            # The file ends inside a multi-byte character: that first byte is the bad one.
            pending = bytes(exc.object)
            return line, pending[exc.start] if exc.start < len(pending) else 0
    return line, 0


def not_utf8(path: Path) -> InvalidData:
    """The one-line error for a file that is not UTF-8, naming the line of the first bad byte."""
    line, byte = utf8_error_line(path)
    return InvalidData(f"{path.name}:{line}: not valid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8")


def _iter_array(text: str, name: str) -> Iterator[tuple[int, Any]]:
    decoder = json.JSONDecoder()
    pos = 1
    n = len(text)
    while True:
        while pos < n and (text[pos].isspace() or text[pos] == ","):
            pos += 1
        if pos >= n:
            raise InvalidData(f"{name}:{text.count(chr(10), 0, n) + 1}: not valid JSON: the array is not closed")
        if text[pos] == "]":
            return
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InvalidData(f"{name}:{exc.lineno}: not valid JSON: {exc.msg} (column {exc.colno})") from None
        yield text.count("\n", 0, pos) + 1, obj
        pos = end


def _open_text(path: Path) -> IO[str]:
    try:
        return open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InvalidData(f"{path.name}: cannot read: {exc.strerror or exc}") from None


def open_csv(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Open a CSV file for streaming: its header and an iterator of (line, row as dict).

    Quoted fields may span lines (ICIJ addresses do); the line is the one the record starts on.
    """
    fh = _open_text(path)
    reader = csv.reader(fh)
    name = path.name
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
    except csv.Error as exc:
        fh.close()
        raise InvalidData(f"{name}:1: cannot read the header: {exc}") from None
    except UnicodeDecodeError:
        fh.close()
        raise not_utf8(path) from None

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        start = reader.line_num + 1
        try:
            for cells in reader:
                line = start
                start = reader.line_num + 1
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                if len(cells) != len(header):
                    raise InvalidData(f"{name}:{line}: has {len(cells)} cells, the header has {len(header)}")
                yield line, dict(zip(header, cells))
        except csv.Error as exc:
            raise InvalidData(f"{name}:{start}: malformed CSV: {exc}") from None
        except UnicodeDecodeError:
            raise not_utf8(path) from None
        finally:
            fh.close()

    return header, rows()
