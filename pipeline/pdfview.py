"""Positions on a PDF page as the page is shown, and the ctypes buffers pdfium fills.

pdfium gives positions in the page's own coordinates: from the corner of its media box, before its /Rotate.
A viewer shows only the crop box, turned by /Rotate. :func:`upright` turns a box into what the viewer shows
(y still upwards), once :func:`set_view` has been told about the page being read.
"""

from __future__ import annotations

import ctypes
import threading

import pypdfium2.raw as pdfium_c

# The /Rotate of the page being read, its unturned size and the corner of its crop box; None when the page is
# neither turned nor cropped away from (0, 0). Set per page (set_view); one per thread.
_VIEW = threading.local()


def set_view(rotation: int, width: float, height: float, x_origin: float, y_origin: float) -> None:
    """Set the page being read on this thread: its /Rotate, its size as shown and its crop box's corner."""
    turned = rotation in (90, 180, 270)
    _VIEW.value = None if not turned and not (x_origin or y_origin) else (
        (rotation, height, width, x_origin, y_origin) if rotation in (90, 270)
        else (rotation, width, height, x_origin, y_origin))


def clear_view() -> None:
    """The page is read: positions pass through :func:`upright` unchanged."""
    _VIEW.value = None


# ctypes out-parameters reused across calls (allocating them per character is slow); one set per thread,
# because the flow extracts several documents at once.
_BUFFERS = threading.local()


def buffers():
    """This thread's reusable out-parameters: a rectangle, a matrix, a font-name buffer and font flags."""
    if not hasattr(_BUFFERS, "rect"):
        _BUFFERS.rect = pdfium_c.FS_RECTF()
        _BUFFERS.matrix = pdfium_c.FS_MATRIX()
        _BUFFERS.font_name = ctypes.create_string_buffer(256)
        _BUFFERS.font_flags = ctypes.c_int()
    return _BUFFERS


def loose_box(textpage, index: int) -> tuple[float, float, float, float] | None:
    """(left, bottom, right, top) of a character's loose box (font ascent to descent), via the raw API:
    the helper method allocates per call, and this runs for every line of every page."""
    rect = buffers().rect
    if not pdfium_c.FPDFText_GetLooseCharBox(textpage.raw, index, ctypes.byref(rect)):
        return None
    return upright(rect.left, rect.bottom, rect.right, rect.top)


def tight_box(textpage, index: int) -> tuple[float, float, float, float]:
    return upright(*textpage.get_charbox(index))


def upright(left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
    """A box in the page's own coordinates as the page is shown: measured from the corner of its crop box (the
    part of the page a viewer shows) and turned by its /Rotate, y still upwards."""
    turn = getattr(_VIEW, "value", None)
    if not turn:
        return left, bottom, right, top
    rotation, width, height, x_origin, y_origin = turn  # width and height of the crop box unturned
    left, right, bottom, top = left - x_origin, right - x_origin, bottom - y_origin, top - y_origin
    if rotation == 90:
        return bottom, width - right, top, width - left
    if rotation == 180:
        return width - right, height - top, width - left, height - bottom
    if rotation == 270:
        return height - top, left, height - bottom, right
    return left, bottom, right, top
