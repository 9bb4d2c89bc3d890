"""The shared PDF layer: numbered pages in the active language, embedded Vietnamese font, QR codes, font
registration, and no dependency on any project app."""

import ast
import datetime as dt
import io
import re
import subprocess
import sys
import threading
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone, translation
from django.utils.translation import trans_real
from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph

from common import documents

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = {"gis", "catalog", "accounts", "manifests", "stats", "hwms"}
PAGE_MSGID = "Page %(page)s of %(pages)s"


@pytest.fixture
def vietnamese_page_label(monkeypatch):
    """The Vietnamese footer even before the lead compiles its translation into locale/ (a no-op after)."""
    vi = trans_real.translation("vi")
    original = vi.gettext

    def gettext(message):
        translated = original(message)
        if message == PAGE_MSGID and translated == message:
            return "Trang %(page)s/%(pages)s"
        return translated

    monkeypatch.setattr(vi, "gettext", gettext)


def three_pages(footer_text="BC-2026-07"):
    st = documents.styles()
    story = [Paragraph("Báo cáo chất thải nguy hại", st.title), Paragraph("Trang đầu", st.base), PageBreak()]
    story += [Paragraph("Giữa", st.base), PageBreak(), Paragraph("Cuối", st.base)]
    return documents.build_pdf(story, "Báo cáo", footer_text=footer_text)


def page_texts(content):
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_every_page_says_trang_x_of_y_in_vietnamese(vietnamese_page_label):
    with translation.override("vi"):
        pages = page_texts(three_pages())
    assert len(pages) == 3
    for number, text in enumerate(pages, start=1):
        assert f"Trang {number}/3" in text
        assert "BC-2026-07" in text  # the document's own footer text
        assert "In từ HWMS lúc" in text


def test_the_page_footer_follows_the_active_language():
    with translation.override("en"):
        pages = page_texts(three_pages())
    assert [f"Page {n} of 3" in text for n, text in enumerate(pages, start=1)] == [True, True, True]
    assert "Printed from HWMS on" in pages[0]


def test_vietnamese_text_is_set_in_the_embedded_be_vietnam_pro():
    with translation.override("vi"):
        content = three_pages()
    reader = PdfReader(io.BytesIO(content))
    assert "Báo cáo chất thải nguy hại" in reader.pages[0].extract_text()
    fonts = [ref.get_object() for ref in reader.pages[0]["/Resources"]["/Font"].values()]
    names = sorted(str(font["/BaseFont"]).split("+")[-1] for font in fonts)
    # Only Be Vietnam Pro: no built-in font without Vietnamese glyphs, not even reportlab's unused default.
    assert names == ["BeVietnamPro-Bold", "BeVietnamPro-Regular"]
    for font in fonts:
        assert "/FontFile2" in font["/FontDescriptor"]  # embedded (subset), not merely named


def test_the_qr_code_draws_its_modules_as_rectangles():
    url = "https://hwms.example.vn/manifests/verify/abc/"
    code = documents.QRCode(url, 30 * mm, caption="Quét để kiểm tra")
    assert code.wrap(500, 500) == (30 * mm, 30 * mm + code.CAPTION_SIZE * 1.4)
    with translation.override("vi"):
        content = documents.build_pdf([code], "QR")
    page = PdfReader(io.BytesIO(content)).pages[0]
    stream = page.get_contents().get_data().decode("latin-1")
    matrix = documents.qr_matrix(url)
    count = len(matrix)
    # One rectangle per run of dark modules, in module units; the top row opens with a finder pattern.
    runs = sum(1 for row in matrix for x, dark in enumerate(row) if dark and (x == 0 or not row[x - 1]))
    assert len(re.findall(r"^\d+ \d+ \d+ 1 re$", stream, re.MULTILINE)) == runs
    assert f"0 {count - 1} 7 1 re" in stream
    assert "Quét để kiểm tra" in page.extract_text()
    assert documents.qr_matrix(url) is matrix  # encoded once


def test_a_long_grid_repeats_its_header_on_every_page():
    columns = documents.scaled_columns([20, 80, 30], numeric={2})
    assert sum(column.width for column in columns) == pytest.approx(documents.CONTENT_WIDTH)
    with translation.override("vi"):
        rows = [[n, f"Dòng số {n}", documents.format_kg(Decimal(n) * 1000)] for n in range(1, 151)]
        table = documents.grid(["#", "Mô tả", "Khối lượng (kg)"], rows, columns, footer=["", "Tổng", "…"])
        pages = page_texts(documents.build_pdf([table], "Bảng"))
    assert len(pages) >= 2
    assert all("Khối lượng (kg)" in text for text in pages)
    assert "150.000" in pages[-1] and "Tổng" in pages[-1]


def test_formatting_uses_the_language_and_vietnam_time():
    moment = dt.datetime(2026, 3, 1, 18, 30, tzinfo=dt.UTC)  # already 2 March in Vietnam
    with translation.override("vi"), timezone.override(zoneinfo.ZoneInfo("Europe/Paris")):
        assert documents.format_number(Decimal("1234567.50"), 2) == "1.234.567,5"
        assert documents.format_datetime(moment) == "02/03/2026 01:30"
        assert documents.format_date(moment) == "02/03/2026"
        assert documents.format_date(None) == documents.format_kg(None) == "—"
    assert documents.escape("<b>A & B</b>") == "&lt;b&gt;A &amp; B&lt;/b&gt;"


def test_fonts_are_registered_once_even_from_several_threads(monkeypatch):
    monkeypatch.setattr(documents, "_fonts_ready", False)
    registered = []
    real_register = documents.pdfmetrics.registerFont
    start = threading.Barrier(8)

    def counting_register(font):
        registered.append(font.fontName)
        return real_register(font)

    monkeypatch.setattr(documents.pdfmetrics, "registerFont", counting_register)

    def worker():
        start.wait()
        documents.register_fonts()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(registered) == [documents.FONT, documents.FONT_BOLD]
    documents.register_fonts()
    assert len(registered) == 2


def test_fonts_are_not_registered_at_import():
    code = (
        "from reportlab.pdfbase import pdfmetrics\n"
        "import common.documents as d\n"
        "assert d.FONT not in pdfmetrics.getRegisteredFontNames(), 'registered at import'\n"
        "d.register_fonts()\n"
        "assert d.FONT in pdfmetrics.getRegisteredFontNames()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_common_package_imports_no_project_app():
    paths = sorted((ROOT / "common").glob("*.py"))
    assert ROOT / "common" / "documents.py" in paths
    offending = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level != 1:
                # Absolute, or relative beyond common ("from ..manifests import x", "from .. import stats").
                modules = [node.module] if node.module else [alias.name for alias in node.names]
            else:
                continue
            offending += [f"{path.name}:{node.lineno} {name}" for name in modules if name.split(".")[0] in PROJECT_APPS]
    assert offending == []
