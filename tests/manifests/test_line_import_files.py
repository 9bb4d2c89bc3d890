"""Files a manifest's line import must read or refuse cleanly: Excel's windows-1258 CSV, a zip bomb disguised as
an XLSX, a column given twice. A refused file saves nothing and says why next to the upload field."""

from decimal import Decimal

import pytest
from django.utils import translation

from manifests import line_import
from tests.common.test_spreadsheets import windows_1258, zip_bomb
from tests.manifests.test_line_import import confirm, lines_of, upload, xlsx

pytestmark = pytest.mark.django_db


def vi(message, **values):
    """The message as the (Vietnamese) page shows it."""
    with translation.override("vi"):
        return translation.gettext(message) % values


def file_errors(response):
    assert response.status_code == 200
    return " ".join(response.context["form"].errors["file"])


def test_a_windows_1258_csv_is_read_with_its_accents(client, chain):
    """Excel's plain "CSV" on a Vietnamese Windows: windows-1258 with combining tone marks, ';' between fields."""
    w = chain
    manifest = w.draft()
    client.force_login(w.alice)
    text = ";".join(line_import.COLUMNS) + "\r\n17 02 03;Dầu nhớt thải;lỏng;phuy;1;125,5\r\n"
    content = windows_1258(text)
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")  # really not UTF-8
    response = upload(client, manifest, content, name="lines.csv")
    (row,) = response.context["rows"]
    assert row.errors == []
    assert row.values["description"] == "Dầu nhớt thải"  # precomposed again (NFC), as typed
    assert row.values["physical_state"] == "liquid" and row.values["quantity_kg"] == Decimal("125.50")
    assert confirm(client, manifest, response.context["payload"]).status_code == 302
    assert manifest.lines.order_by("position").last().description == "Dầu nhớt thải"


def test_a_zip_bomb_is_refused_before_it_is_inflated(client, chain):
    w = chain
    manifest = w.draft()
    client.force_login(w.alice)
    bomb = zip_bomb(40 * 1024 * 1024 + 1)
    assert len(bomb) < line_import.MAX_UPLOAD_BYTES  # small enough to pass the upload limit
    assert vi("The file is too large once unpacked.") in file_errors(upload(client, manifest, bomb))
    assert len(lines_of(manifest)) == 2


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_column_given_twice_is_refused(client, chain, kind):
    """Two quantity columns: which one would count? Neither; the file is refused and nothing saved."""
    w = chain
    manifest = w.draft()
    client.force_login(w.alice)
    headers = [*line_import.COLUMNS, "quantity_kg (kg)"]
    row = ("17 02 03", "Dầu", "lỏng", "phuy", 1, "125,5", "999")
    if kind == "xlsx":
        content, name = xlsx([row], headers=headers), "lines.xlsx"
    else:
        content, name = (";".join(headers) + "\r\n" + ";".join(map(str, row)) + "\r\n").encode("utf-8-sig"), "lines.csv"
    errors = file_errors(upload(client, manifest, content, name=name))
    assert vi("The column %(column)s appears twice.", column="quantity_kg") in errors
    assert len(lines_of(manifest)) == 2
