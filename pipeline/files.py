"""File reading and writing shared by the stages."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes, temp_dir: Path | None = None) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half of one.

    The bytes go to a temporary file in ``temp_dir`` (default: the target's folder, which must be on the
    same file system) and are then renamed over ``path``.
    """
    folder = temp_dir or path.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


SAVE_AS_UTF8 = "save it as UTF-8 text (in Notepad: Save As, Encoding UTF-8) and run again"


class NotUtf8Error(ValueError):
    """Bytes that are not UTF-8 text; ``line`` is the line (from 1) holding the first byte that is not."""

    def __init__(self, line: int):
        super().__init__(f"line {line} is not UTF-8 text")
        self.line = line


def decode_utf8(data: bytes) -> str:
    """``data`` as text, without the byte-order mark Notepad and Excel put at the start of a UTF-8 file.

    >>> decode_utf8("\\ufeffChild A".encode("utf-8"))
    'Child A'
    >>> decode_utf8(b"one\\nthe child\\x92s views")  # Windows-1252, as older Windows programs save
    Traceback (most recent call last):
    ...
    pipeline.files.NotUtf8Error: line 2 is not UTF-8 text
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotUtf8Error(data[:exc.start].count(b"\n") + 1) from None
