"""The line import (upload → preview → confirm) with hostile files and forged previews: never a 500, the file
refused with its reason next to the file field or the rows' errors shown, and nothing saved before the confirmation
of a valid, signed preview."""


import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from manifests.line_import import COLUMNS

from .harness import DANGEROUS, hostile_values, post_form, state

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)


def csv_file(rows, name="lines.csv", encoding="utf-8"):
    text = "\n".join([HEADER, *(",".join(row) for row in rows)])
    return SimpleUploadedFile(name, text.encode(encoding, errors="surrogatepass"), content_type="text/csv")


def check_upload(client, url, upload):
    before = state()
    response = client.post(url, {"file": upload})
    assert response.status_code in (200, 400), response.status_code
    assert state() == before, "an upload saved something before its confirmation"
    return response


def test_hostile_files(hostile_world, client_of):
    client = client_of("alice")
    url = reverse("manifests:import_lines", args=[hostile_world.refs["a_draft"]])
    # The sweep: every column meets each dangerous value; then files that are not what they claim to be.
    for k in range(len(DANGEROUS)):
        row = [DANGEROUS[(i + k) % len(DANGEROUS)].replace(",", ";") for i in range(len(COLUMNS))]
        check_upload(client, url, csv_file([row]))
    for upload in (
        SimpleUploadedFile("lines.xlsx", b"PK\x03\x04 not a zip at all", content_type="application/vnd.ms-excel"),
        SimpleUploadedFile("lines.csv", b"\xff\xfe\x00\x00" + b"\x00" * 100, content_type="text/csv"),
        SimpleUploadedFile("lines.exe", b"MZ\x90\x00", content_type="application/octet-stream"),
        SimpleUploadedFile("\u202egpj.csv", HEADER.encode(), content_type="text/csv"),
        SimpleUploadedFile("lines.csv", b"", content_type="text/csv"),
        SimpleUploadedFile("lines.csv", (HEADER + "\n" + ",".join(["17 02 03"] * 6) + "\n").encode() * 1000, content_type="text/csv"),
    ):
        response = check_upload(client, url, upload)
        assert response.status_code == 200

    @given(rows=st.lists(st.lists(hostile_values.map(lambda value: value.replace(",", ";").replace("\n", " ")), min_size=6, max_size=6), min_size=1, max_size=3))
    def hostile_rows(rows):
        check_upload(client, url, csv_file(rows))

    hostile_rows()


def test_a_forged_preview_is_refused(hostile_world, client_of):
    client = client_of("alice")
    url = reverse("manifests:import_lines", args=[hostile_world.refs["a_draft"]])

    @given(payload=st.one_of(hostile_values, st.binary(max_size=200).map(lambda data: data.decode("latin-1"))))
    def forged(payload):
        before = state()
        response = post_form(client, url, {"action": "confirm", "payload": payload})
        assert response.status_code == 400
        assert state() == before

    forged()


