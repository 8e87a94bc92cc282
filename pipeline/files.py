"""File reading and writing shared by the stages."""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
import unicodedata
from pathlib import Path

# Control characters but tab and line ends (a NUL, the vertical tab Word pastes for Shift+Enter, DEL, C1): no part
# of text people type or read, and some cannot be written at all (Excel refuses them).
# Control characters, and the marks that turn the direction of text (a search echoed on a page could show reversed)
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def controls_as_spaces(text: str) -> str:
    r"""``text`` with each control character but tab and line ends made a space, and each mark that turns the
    direction of text (U+202E and the like).

    >>> controls_as_spaces("neglect\x0bschool\x00\tnurse\n")
    'neglect school \tnurse\n'
    """
    return _CONTROLS.sub(" ", text)


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


# The two older encodings a spreadsheet's plain "CSV" is saved in: Excel on Windows writes the Windows code page
# (Western European, cp1252, in the UK), Excel for Mac long wrote Mac OS Roman. Both give some character for
# nearly every byte, so the one chosen is the one whose non-ASCII characters are the ones English and Welsh text
# uses (curly quotes, dashes, the pound sign, accented vowels): the same bytes in the other read "ChildrenÕs".
LEGACY_ENCODINGS = (("cp1252", "Windows-1252 (Western European)"), ("mac_roman", "Mac OS Roman"))
_LIKELY_CHARACTERS = frozenset(
    "\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u2022\u00a3\u20ac\u00b7\u00b0\u00a0\u00bd\u00bc\u00be\u00a7"
    "\u00e9\u00e8\u00ea\u00eb\u00e1\u00e0\u00e2\u00e4\u00ed\u00ec\u00ee\u00ef\u00f3\u00f2\u00f4\u00f6"
    "\u00fa\u00f9\u00fb\u00fc\u00e7\u00f1\u00c9\u00c8\u00c0\u00c2\u00d4\u00e6\u0153\u00df"
)
# More than this share of non-ASCII characters is not a spreadsheet of titles and addresses in an older encoding.
_LEGACY_MAX_SHARE = 0.05


def legacy_decode(data: bytes) -> tuple[str, str] | None:
    """``data`` read as Windows-1252 or Mac OS Roman, with the encoding's name; None for what is not such text.

    >>> line = "child-a,Children\u2019s services review,Northmoor"
    >>> legacy_decode(line.encode("cp1252"))
    ('child-a,Children\u2019s services review,Northmoor', 'Windows-1252 (Western European)')
    >>> legacy_decode(line.encode("mac_roman"))
    ('child-a,Children\u2019s services review,Northmoor', 'Mac OS Roman')
    >>> legacy_decode(bytes(range(256))) is None   # binary data
    True
    """
    if b"\x00" in data:
        return None
    best: tuple[int, str, str] | None = None
    for codec, name in LEGACY_ENCODINGS:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        unusual = [ch for ch in text if ord(ch) > 127]
        if len(unusual) > _LEGACY_MAX_SHARE * len(text) or any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text):
            continue
        likely = sum(ch in _LIKELY_CHARACTERS for ch in unusual)
        if best is None or likely > best[0]:
            best = (likely, text, name)
    return None if best is None else (best[1], best[2])


def decode_text(data: bytes) -> tuple[str, str | None]:
    """``data`` as text: UTF-8 (with or without a byte-order mark), or else Windows-1252 or Mac OS Roman, as a
    spreadsheet's plain "CSV" and older Windows programs save text; with the older encoding's name (None for
    UTF-8).

    >>> decode_text("Voice: the child’s views were not sought".encode("cp1252"))
    ('Voice: the child’s views were not sought', 'Windows-1252 (Western European)')

    Raises
    ------
    NotUtf8Error
        For data that is none of them (binary data), naming the first line that is not UTF-8.
    """
    try:
        return decode_utf8(data), None
    except NotUtf8Error:
        legacy = legacy_decode(data)
        if legacy is None:
            raise
        return legacy


def closest_file(path: Path) -> str | None:
    """The name of the file in ``path``'s folder whose name is closest to ``path``'s (another case, a space for a
    hyphen, the extension left out), for a file that is not there; None when no name is close, or no such folder.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "Thornley Child P.PDF").write_bytes(b"%PDF")
    >>> closest_file(folder / "thornley-child-p.pdf"), closest_file(folder / "other.pdf")
    ('Thornley Child P.PDF', None)
    """
    import difflib

    path = Path(path)
    if not path.parent.is_dir():
        return None
    lowered = {child.name.lower(): child.name for child in path.parent.iterdir() if child.is_file()}
    close = difflib.get_close_matches(path.name.lower(), list(lowered), n=1, cutoff=0.8)
    return lowered[close[0]] if close else None


def same_file_any_accents(path: Path) -> Path:
    """``path``, or, when there is no such file, the file whose name is the same but for how its accented
    letters are encoded (one character "é", or "e" and a combining accent, as macOS and ZIP files may write it);
    ``path`` when there is none.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / unicodedata.normalize("NFC", "café.pdf")).write_bytes(b"%PDF-")
    >>> same_file_any_accents(folder / unicodedata.normalize("NFD", "café.pdf")).name == "caf\u00e9.pdf"
    True
    """
    try:
        if path.exists():
            return path
    except OSError:
        return path
    for form in ("NFC", "NFD"):
        other = Path(unicodedata.normalize(form, str(path)))
        try:
            if other != path and other.exists():
                return other
        except OSError:
            continue
    return path


# What ``file_state`` says of a path that is not a plain file.
MISSING, FOLDER, NOT_A_FILE, LINK_LOOP, CANNOT_OPEN = "missing", "folder", "not a file", "link loop", "cannot open"


def file_state(path: Path) -> str:
    """"file" for a plain file at ``path``; else why there is none: ``MISSING``, a ``FOLDER``, ``NOT_A_FILE`` (a
    named pipe or a device, which reading could wait on for ever), a ``LINK_LOOP`` (a symbolic link that leads
    round to itself), or ``CANNOT_OPEN`` (a name too long for the system, a drive gone). Never raises.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "loop.pdf").symlink_to(folder / "loop.pdf")
    >>> [file_state(p) for p in (folder, folder / "none.pdf", folder / "loop.pdf", folder / ("a" * 300))]
    ['folder', 'missing', 'link loop', 'cannot open']
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return MISSING
    except OSError as exc:
        return LINK_LOOP if exc.errno == errno.ELOOP else CANNOT_OPEN
    if stat.S_ISREG(mode):
        return "file"
    return FOLDER if stat.S_ISDIR(mode) else NOT_A_FILE
