"""Write scans: PDFs of page images with no text layer, as a scanner or a "print to image" makes them.

``write_scan`` renders the pages of any PDF to grey images (optionally a little rotated and speckled, as paper
comes out of a scanner) and writes them as a new PDF of images only, so OCR can be checked against the text
layer of the original. ``write_picture`` writes a page holding only a picture (noise, no words), and
``write_welsh_scan`` a scanned page in Welsh. The text is our own writing.
"""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas


def write_scan(source: Path, path: Path, dpi: int = 150, skew: float = 0.0, speckle: float = 0.0,
               pages: list[int] | None = None, turn: int = 0) -> Path:
    """A scan of ``source`` (its 1-based ``pages``, all by default) at ``dpi``, turned ``skew`` degrees and with
    a share ``speckle`` of its pixels darkened at random (seeded); with ``turn`` (90, 180, 270), scanned on its
    side or upside down (the page itself turned, with no /Rotate to say so)."""
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image

    document = pdfium.PdfDocument(source)
    rng = np.random.default_rng(7)
    canvas = Canvas(str(path))
    for number in pages or range(1, len(document) + 1):
        page = document[number - 1]
        width, height = page.get_size()
        image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        if skew:
            image = image.rotate(skew, resample=Image.BILINEAR, fillcolor=255, expand=False)
        if speckle:
            pixels = np.array(image)
            dots = rng.random(pixels.shape) < speckle
            pixels[dots] = rng.integers(0, 120, int(dots.sum()))
            image = Image.fromarray(pixels)
        if turn:
            image = image.rotate(turn, expand=True)
            width, height = (height, width) if turn in (90, 270) else (width, height)
        canvas.setPageSize((width, height))
        canvas.drawImage(ImageReader(image), 0, 0, width, height)
        canvas.showPage()
    canvas.save()
    return path


def write_picture(path: Path) -> Path:
    """One page holding a picture with no words in it (soft blotches of grey)."""
    import numpy as np
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(3)
    noise = Image.fromarray((rng.random((300, 220)) * 255).astype("uint8")).filter(ImageFilter.GaussianBlur(4))
    canvas = Canvas(str(path), pagesize=A4)
    canvas.drawImage(ImageReader(noise.resize((880, 1200))), 60, 120, A4[0] - 120, A4[1] - 240)
    canvas.showPage()
    canvas.save()
    return path


WELSH = [
    "Adolygiad Ymarfer Plant: crynodeb o'r hyn a ddysgwyd",
    "Roedd y teulu yn byw mewn tref fechan ar arfordir y gogledd, ac roedd y plant yn mynd i'r ysgol leol.",
    "Nid oedd yr asiantaethau yn rhannu gwybodaeth am y symud rhwng ardaloedd, ac ni welwyd y plant ar eu",
    "pennau eu hunain gan y gweithiwr cymdeithasol. Mae'r adolygiad yn argymell y dylai pob asiantaeth",
    "gofnodi barn y plentyn ym mhob ymweliad, a rhannu pryderon yn brydlon gyda'r tim amddiffyn plant.",
    "Dylai'r bwrdd diogelu rhanbarthol sicrhau bod hyfforddiant ar gael i bob ymarferydd yn y maes hwn.",
]


def _scan_of(path: Path, draw, dpi: int = 150) -> Path:
    """A scan of one A4 page that ``draw`` draws on a reportlab canvas (its source PDF is kept beside it)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    draw(canvas)
    canvas.showPage()
    canvas.save()
    source = path.with_suffix(".source.pdf")
    source.write_bytes(buffer.getvalue())
    return write_scan(source, path, dpi=dpi)


def write_welsh_scan(path: Path) -> Path:
    """A scan of a page of Welsh (a page of a bilingual Welsh review)."""

    def draw(canvas: Canvas) -> None:
        canvas.setFont("Helvetica-Bold", 14)
        canvas.drawString(60, 760, WELSH[0])
        canvas.setFont("Helvetica", 10)
        for i, line in enumerate(WELSH[1:] * 3):
            canvas.drawString(60, 730 - 15 * i, line)

    return _scan_of(path, draw)


MARGIN_NOTE = "Confidential until published by the partnership board"
NOTED_PAGE = [
    "The health visitor saw the family at home four times between March and August.",
    "On each visit she recorded that the baby was feeding well and gaining weight.",
    "She did not ask who else lived in the house, and the mother did not say.",
    "The school nurse knew from the older child that a new partner had moved in.",
    "That information stayed in the school health record and was not passed on.",
    "The review found that neither practitioner had a reason to think it mattered.",
]


def write_margin_note_scan(path: Path) -> Path:
    """A scan of a page of text with a note set sideways (turned 90 degrees) in its left margin."""

    def draw(canvas: Canvas) -> None:
        canvas.setFont("Helvetica", 11)
        for i, line in enumerate(NOTED_PAGE * 3):
            canvas.drawString(72, 760 - 16 * i, line)
        canvas.saveState()
        canvas.translate(40, 330)
        canvas.rotate(90)
        canvas.setFont("Helvetica", 12)
        canvas.drawString(0, 0, MARGIN_NOTE)
        canvas.restoreState()

    return _scan_of(path, draw, dpi=200)
