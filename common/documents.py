"""PDF documents (reportlab) for every app: fonts, styles, formatting, ruled grids, QR codes and an A4 page
with a numbered footer ("Trang x/y").

reportlab's built-in fonts have no Vietnamese glyphs, so Be Vietnam Pro (fontpkg-be-vietnam-pro, OFL-1.1)
is registered once per process, on first use. Texts follow the active language; dates and times print in
Vietnam time whatever time zone is active.
"""

import datetime as dt
import functools
import io
import threading
import zoneinfo
from xml.sax.saxutils import escape as _xml_escape

import fontpkg
import segno
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from . import numbers

FONT = "BeVietnamPro"
FONT_BOLD = "BeVietnamPro-Bold"
FONT_FAMILY = "Be Vietnam Pro"
MONO = "Courier"  # hashes only: hex digits need no Vietnamese glyphs

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 14 * mm
BOTTOM_MARGIN = 16 * mm  # room for the footer
FRAME_PADDING = 6  # reportlab's default Frame padding, in points
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN - 2 * FRAME_PADDING
FOOTER_Y = 9 * mm

GRID = colors.HexColor("#9aa5b1")
HEAD_BG = colors.HexColor("#e8eef3")
WARN = colors.HexColor("#b42318")
MUTED = colors.HexColor("#52606d")

VIETNAM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")

# PDFs are served over HTTP as binary: skip the ASCII85 layer that reportlab adds on top of the
# compression by default (process-wide setting; ASCII85 makes streams 25% larger and costs time).
rl_config.useA85 = 0

_fonts_lock = threading.Lock()
_fonts_ready = False


def register_fonts():
    """Register Be Vietnam Pro regular and bold once per process; map bold so <b> works in paragraphs.

    Lazy rather than at import: loading the two TTF files costs time and memory that processes which
    never print (workers, management commands) need not pay.
    """
    global _fonts_ready
    if _fonts_ready:
        return
    with _fonts_lock:
        if _fonts_ready:
            return
        pdfmetrics.registerFont(TTFont(FONT, str(fontpkg.path(FONT_FAMILY, 400))))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(fontpkg.path(FONT_FAMILY, 700))))
        # No italic faces are registered: <i> falls back to the upright ones.
        addMapping(FONT, 0, 0, FONT)
        addMapping(FONT, 1, 0, FONT_BOLD)
        addMapping(FONT, 0, 1, FONT)
        addMapping(FONT, 1, 1, FONT_BOLD)
        _fonts_ready = True


class Styles:
    def __init__(self):
        base = ParagraphStyle("base", fontName=FONT, fontSize=8.5, leading=11)
        self.base = base
        self.small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9.2)
        self.cell_num = ParagraphStyle("cell_num", parent=self.cell, alignment=TA_RIGHT)
        self.head = ParagraphStyle("head", parent=self.cell, fontName=FONT_BOLD, fontSize=7, leading=8.6)
        self.head_num = ParagraphStyle("head_num", parent=self.head, alignment=TA_RIGHT)
        self.title = ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=15, leading=19, spaceAfter=4)
        self.section = ParagraphStyle("section", parent=base, fontName=FONT_BOLD, fontSize=10, leading=13, spaceBefore=7, spaceAfter=3)


@functools.cache
def styles():
    """The shared paragraph styles (the fonts they name get registered first)."""
    register_fonts()
    return Styles()


# --- formatting ----------------------------------------------------------------------------------------


def escape(value):
    """`value` as text safe inside Paragraph markup; None is empty."""
    return _xml_escape("" if value is None else str(value))


def format_date(value):
    """A date (or the Vietnamese calendar day of a datetime) in the active language's short format."""
    if not value:
        return "—"
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value, VIETNAM).date()
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def format_datetime(value):
    """An aware datetime in Vietnam time, in the active language's short format."""
    return formats.date_format(timezone.localtime(value, VIETNAM), "SHORT_DATETIME_FORMAT") if value else "—"


def format_number(value, max_places=numbers.KG_PLACES):
    """A number as pages print it (common.numbers.format_number: "1.234,5" in Vietnamese); "—" for None."""
    text = numbers.format_number(value, max_places)
    return "—" if text is None else text


def format_kg(value):
    """A quantity in a column headed "(kg)": the number alone, at most two decimals; "—" for None."""
    return format_number(value, numbers.KG_PLACES)


# --- grids ---------------------------------------------------------------------------------------------

PAD = 3  # horizontal cell padding, points


class Column:
    """A grid column: its width in points and whether it holds numbers (right-aligned)."""

    def __init__(self, width, numeric=False):
        self.width = width
        self.numeric = numeric


def scaled_columns(widths_mm, numeric=(), total=CONTENT_WIDTH):
    """Columns from widths in mm as drafted, scaled together to fill `total` (the content width)."""
    scale = total / sum(widths_mm)
    return [Column(width * scale, index in numeric) for index, width in enumerate(widths_mm)]


def wrap(text, font, size, width):
    """`text` broken into lines that fit `width` (a plain string for a table cell)."""
    return "\n".join(simpleSplit(str(text), font, size, width))


def cell(text, column, style):
    """Plain text wrapped to the column when possible (tables lay plain strings out far faster than
    Paragraphs); a Paragraph only when a single word is wider than the column. Plain strings are not
    markup: only the Paragraph gets escaped text."""
    text = "" if text is None else str(text)
    room = column.width - 2 * PAD
    lines = simpleSplit(text, style.fontName, style.fontSize, room)
    if all(pdfmetrics.stringWidth(line, style.fontName, style.fontSize) <= room for line in lines):
        return "\n".join(lines)
    return Paragraph("<br/>".join(escape(part) for part in text.split("\n")), style)


def grid(header, rows, columns, footer=None, extra=()):
    """A ruled table with a shaded header row repeated on every page and an optional bold footer row.

    `header`, each row and `footer` hold one text (or ready flowable) per column; `extra` are further
    TableStyle commands (spans, fonts).
    """
    st = styles()
    data = [[cell(text, col, st.head_num if col.numeric else st.head) for text, col in zip(header, columns, strict=True)]]
    for row in rows:
        data.append(
            [
                text if isinstance(text, Flowable) else cell(text, col, st.cell_num if col.numeric else st.cell)
                for text, col in zip(row, columns, strict=True)
            ]
        )
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), st.cell.fontSize),
        ("LEADING", (0, 0), (-1, -1), st.cell.leading),
        ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
        ("FONTSIZE", (0, 0), (-1, 0), st.head.fontSize),
        ("LEADING", (0, 0), (-1, 0), st.head.leading),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    commands += [("ALIGN", (i, 0), (i, -1), "RIGHT") for i, col in enumerate(columns) if col.numeric]
    if footer is not None:
        data.append([cell(text, col, st.head_num if col.numeric else st.head) for text, col in zip(footer, columns, strict=True)])
        commands.append(("FONTNAME", (0, -1), (-1, -1), FONT_BOLD))
    table = Table(data, colWidths=[col.width for col in columns], repeatRows=1)
    table.setStyle(TableStyle(commands + list(extra)))
    return table


# --- QR codes ------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def qr_matrix(data):
    """segno's matrix (rows of 0/1) for `data`, error correction M for worn paper.

    Encoding chooses the best of 8 masks in pure Python (≈8 ms); documents printed again with the same
    data (a verification URL stable for a while) reuse the matrix.
    """
    return tuple(bytes(row) for row in segno.make(data, error="m", micro=False).matrix)


class QRCode(Flowable):
    """A QR code drawn as vector rectangles (one per run of dark modules) inside its quiet zone.

    The runs are written as PDF operators in module units under one scale transform: integer coordinates,
    no per-number float formatting (the QR code used to be half of the rendering time).
    """

    QUIET = 4

    CAPTION_SIZE = 7.5

    def __init__(self, data, size, caption=""):
        super().__init__()
        self.matrix = qr_matrix(data)
        self.size = size
        self.caption = caption

    def wrap(self, available_width, available_height):
        return self.size, self.size + (self.CAPTION_SIZE * 1.4 if self.caption else 0)

    def draw(self):
        count = len(self.matrix)
        module = self.size / (count + 2 * self.QUIET)
        ops = []
        for row_index, row in enumerate(self.matrix):
            y = count - 1 - row_index
            x = 0
            while x < count:
                if row[x]:
                    start = x
                    while x < count and row[x]:
                        x += 1
                    ops.append(f"{start} {y} {x - start} 1 re")
                else:
                    x += 1
        ops.append("f")
        canvas = self.canv
        canvas.saveState()
        if self.caption:
            canvas.setFont(FONT, self.CAPTION_SIZE)
            canvas.drawCentredString(self.size / 2, 1, self.caption)
            canvas.translate(0, self.CAPTION_SIZE * 1.4)
        canvas.translate(self.QUIET * module, self.QUIET * module)
        canvas.scale(module, module)
        canvas.setFillColor(colors.black)
        canvas.addLiteral("\n".join(ops))
        canvas.restoreState()


# --- pages ---------------------------------------------------------------------------------------------


class NumberedCanvas(Canvas):
    """A canvas that holds every page back until save(), when the page count is known, and then draws the
    footer on each: the document's text on the left, the print time in the middle, "page x of y" on the
    right. The footer texts are translated by the caller, in the language of the document."""

    def __init__(self, *args, footer=("", "", "%(page)s/%(pages)s"), **kwargs):
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._page_states = []

    def showPage(self):
        # Keep this page's content and state; _startPage gives fresh accumulators for the next one.
        self._page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        if self._code:
            self.showPage()
        pages = len(self._page_states)
        for state in self._page_states:
            self.__dict__.update(state)
            self._draw_footer(pages)
            super().showPage()
        super().save()

    def _draw_footer(self, pages):
        left, centre, page_label = self._footer
        self.saveState()
        self.setFont(FONT, 7)
        self.setFillColor(MUTED)
        if left:
            self.drawString(MARGIN + FRAME_PADDING, FOOTER_Y, left)
        if centre:
            self.drawCentredString(PAGE_WIDTH / 2, FOOTER_Y, centre)
        self.drawRightString(PAGE_WIDTH - MARGIN - FRAME_PADDING, FOOTER_Y, page_label % {"page": self._pageNumber, "pages": pages})
        self.restoreState()


def build_pdf(story, title, footer_text="", subject=""):
    """`story` (flowables) laid out on A4 pages as PDF bytes.

    Every page's footer has `footer_text` (what identifies the document, e.g. its number) on the left,
    the print time in the middle and "Trang x/y" on the right, in the active language.
    """
    register_fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=BOTTOM_MARGIN,
        title=title,
        author="HWMS",
        subject=subject,
        creator="HWMS",
        # Otherwise every page lists Helvetica (glyphs for Western scripts only) among its fonts, unused.
        initialFontName=FONT,
    )
    footer = (
        footer_text,
        _("Printed from HWMS on %(time)s") % {"time": format_datetime(timezone.now())},
        # Translators: the page footer of printed documents; Vietnamese "Trang %(page)s/%(pages)s".
        _("Page %(page)s of %(pages)s"),
    )
    doc.build(story, canvasmaker=functools.partial(NumberedCanvas, footer=footer))
    return buffer.getvalue()
