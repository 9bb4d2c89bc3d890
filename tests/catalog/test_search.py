"""Waste codes found the way a Vietnamese user types: any case, with or without accents, composed or decomposed
Unicode, old or new tone placement; codes with or without spaces. The same on SQLite and PostgreSQL."""

import unicodedata
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from catalog import data
from catalog.codes import normalise_waste_code, waste_code_prefixes
from catalog.models import WasteCode
from catalog.search import search_waste_codes
from catalog.text import fold, legal_spelling

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(db):
    call_command("load_catalog", stdout=StringIO())


def codes(query):
    return [code.code for code in search_waste_codes(query, limit=50)]


@pytest.mark.parametrize(
    "canonical, variants",
    [
        ("ắc quy", ["ac quy", "Ắc quy", "ÁC QUY", "AC QUY", unicodedata.normalize("NFD", "ắc quy")]),
        ("dầu", ["dau", "Dầu", "DẦU", unicodedata.normalize("NFD", "dầu")]),
        ("thủy tinh", ["thuy tinh", "thuỷ tinh", "Thủy Tinh", unicodedata.normalize("NFD", "thuỷ tinh")]),
    ],
)
def test_every_spelling_finds_the_codes_of_the_canonical_one(catalog, canonical, variants):
    expected = codes(canonical)
    assert expected, f"the sample catalog has codes for {canonical!r}"
    for variant in variants:
        assert codes(variant) == expected, variant


def test_the_names_found_really_contain_the_words(catalog):
    for code in search_waste_codes("ac quy"):
        assert "ắc quy" in code.name_vi.lower()
    assert codes("ắc quy chì") == ["19 06 01"] and len(codes("ắc quy")) == 2


def test_a_code_is_found_with_or_without_spaces_and_by_its_start(catalog):
    assert codes("17 02 03") == codes("170203") == codes("17-02-03") == ["17 02 03"]
    assert set(codes("1702")) == {code for code in codes("17") if code.startswith("17 02")}
    assert codes("10101") == ["01 01 01"]


def test_a_name_stored_in_the_old_spelling_is_found_by_the_new_one(catalog):
    code = WasteCode.objects.get(code="17 02 03")
    code.name_vi = "Dầu thải lẫn mảnh thuỷ tinh"  # an import in the older tone placement
    code.save()
    assert "17 02 03" in codes("thủy tinh") and "17 02 03" in codes("thuỷ tinh")


def test_the_draft_forms_code_search_uses_the_same_search(client, catalog):
    from tests.factories import MembershipFactory, OrganisationFactory, SiteFactory, UserFactory

    user = UserFactory(username="clerk")
    site = SiteFactory(organisation=OrganisationFactory(name="Beta", tax_code="0100000001"))
    MembershipFactory(user=user, organisation=site.organisation)
    client.force_login(user)
    body = client.get(reverse("manifests:waste_code_search"), {"q": "AC QUY"}).content.decode()
    for code in codes("ắc quy"):
        assert code in body


@pytest.mark.parametrize(
    "typed, code",
    [("17 02 03", "17 02 03"), ("170203", "17 02 03"), (170203, "17 02 03"), (170203.0, "17 02 03"), ("170203.0", "17 02 03"),
     (10101, "01 01 01"), ("10101", "01 01 01"), ("'17 02 03", "17 02 03"), ("17.02.03", "17 02 03"), ("17/02/03", "17 02 03"),
     ("17\u00a002\u00a003", "17 02 03"), ("1702", "17 02"), ("17", "17")],
)
def test_one_normaliser_reads_every_way_a_code_arrives(typed, code):
    assert normalise_waste_code(typed) == code


@pytest.mark.parametrize("typed", ["", None, True, "1", "1702031", "17 2 03", "17 02 03 04", "ab 02 03", 1702.5, "17 02 03x"])
def test_what_is_not_a_code_is_none(typed):
    assert normalise_waste_code(typed) is None


def test_partly_typed_codes_give_their_prefixes():
    assert waste_code_prefixes("1702") == ["17 02"]
    assert waste_code_prefixes("170") == ["17 0", "01 70"]
    assert waste_code_prefixes("17 0") == ["17 0"]
    assert waste_code_prefixes("dầu") == []


def test_folding_and_legal_spelling():
    assert fold("  Ắc   QUY ") == fold("ac quy") == "ac quy"
    assert fold("Đồng") == "dong"
    assert legal_spelling("Oxy hoá, trung hoà, thuỷ tinh, khoẻ, Uỷ ban") == "Oxy hóa, trung hòa, thủy tinh, khỏe, Ủy ban"
    assert legal_spelling("quý, hoàng, hoặc, thuở") == "quý, hoàng, hoặc, thuở"


def test_the_shipped_catalog_uses_the_spelling_of_the_legal_texts():
    names = [name for rows in (data.CHAPTERS, data.HAZARD_PROPERTIES, data.TREATMENT_METHODS) for _code, name, _en in rows]
    names += [row["name_vi"] for row in data.SAMPLE_WASTE_CODES]
    assert [name for name in names if legal_spelling(name) != name] == []
    assert [name for name in names if unicodedata.normalize("NFC", name) != name] == []
