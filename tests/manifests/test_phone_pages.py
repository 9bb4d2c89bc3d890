"""Issue 8, phone and desktop pages: what waste and how much on the driver's cards and the facility's list (one
query for the lines of a page), the error summary at the top of a refused form, numbers kept whole, the name of
a picked waste code, tables that stack on a phone. The 390 px walk itself is in tests/browser/test_phone_pages.py."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from manifests import selectors, services
from manifests.models import Manifest
from tests.factories import PASSWORD
from tests.manifests.test_views_generator import draft_data

pytestmark = pytest.mark.django_db

STATIC = Path(settings.BASE_DIR) / "static"


def ready(w, lines=None):
    return services.sign(w.alice, w.draft(lines=lines), PASSWORD)


def delivered(w, lines=None):
    m = ready(w, lines)
    m = services.pickup(w.dan, m, vehicle=w.truck, quantities={line.pk: line.quantity_kg for line in m.lines.all()})
    return services.deliver(w.dan, m)


def many_lines(w, count):
    return [w.line(w.oil if i % 2 else w.lamps, "10") for i in range(count)]


# --- what waste and how much --------------------------------------------------------------------------------


def test_waste_summary_names_the_first_lines_and_counts_the_others_in_one_query(chain):
    w = chain
    short, long = ready(w), ready(w, many_lines(w, 7))
    manifests = list(Manifest.objects.filter(pk__in=[short.pk, long.pk]).order_by("pk"))
    with CaptureQueriesContext(connection) as queries:
        selectors.load_waste_summaries(manifests)
    assert len(queries) == 1
    first, second = manifests
    assert [(line.waste_code.code, line.waste_code.name) for line in first.waste_lines] == [
        ("17 02 03", w.oil.name_vi),
        ("16 01 06", "Bóng đèn huỳnh quang thải"),
    ]
    assert first.more_lines == 0
    assert len(second.waste_lines) == 2 and second.more_lines == 5
    assert selectors.load_waste_summaries([]) == []


def test_driver_cards_say_what_waste_and_how_many_kg(client, chain):
    w = chain
    m = ready(w)
    client.force_login(w.dan)
    html = client.get(reverse("manifests:driver_list")).content.decode()
    card = html[html.index(m.number) : html.index(reverse("manifests:pickup", args=[m.pk]))]
    assert "17 02 03" in card and "Bóng đèn huỳnh quang thải" in card
    assert re.search(r"140,5\s?kg", card.replace("\xa0", " "))  # the stored declared_kg (100 + 40.5), in the one number format


def test_incoming_rows_say_what_waste_and_how_many_kg(client, chain):
    w = chain
    m = delivered(w, many_lines(w, 4))
    client.force_login(w.fred)
    response = client.get(reverse("manifests:incoming"))
    html = response.content.decode()
    row = html[html.index(m.number) : html.index(reverse("manifests:receive", args=[m.pk]))]
    assert "16 01 06" in row and "17 02 03" in row and re.search(r"\b40\s?kg", row.replace("\xa0", " "))
    assert [item.more_lines for item in response.context["page"].items] == [2]


@pytest.mark.parametrize("user, url", [("dan", "manifests:driver_list"), ("fred", "manifests:incoming")])
def test_the_lists_cost_the_same_queries_however_many_lines(client, chain, user, url):
    w = chain
    delivered(w), ready(w)

    def count():
        client.force_login(getattr(w, user))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(url)).status_code == 200
        return len(queries)

    few = count()
    for _ in range(3):
        delivered(w, many_lines(w, 6)), ready(w, many_lines(w, 5))
    assert count() == few


# --- the error summary -----------------------------------------------------------------------------------


def summary(html):
    match = re.search(r'<div class="error-summary" tabindex="-1"[^>]*data-error-summary>(.*?)</div>', html, re.S)
    assert match, "no error summary"
    return match.group(1)


def draft_post(w, code="17 02 03", **changes):
    return draft_data(w, lines=[{"waste_code": code, "quantity_kg": "10"}], **changes)


def test_a_refused_draft_opens_on_a_summary_linking_to_each_field(client, chain):
    w = chain
    client.force_login(w.alice)
    response = client.post(reverse("manifests:create"), draft_post(w, code="99 99 99", transporter=""))
    assert response.status_code == 200
    html = response.content.decode()
    items = summary(html)
    assert 'href="#id_transporter"' in items and 'href="#id_lines-0-waste_code"' in items
    assert "99 99 99" in items and "Mã chất thải" in items
    # At the top: before the page's heading, so the phone shows it on the first screen.
    assert html.index("data-error-summary") < html.index("<h1>")
    # Focused by a static script, no inline script.
    assert "js/error-summary.js" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_no_summary_before_a_submission(client, chain):
    client.force_login(chain.alice)
    assert "data-error-summary" not in client.get(reverse("manifests:create")).content.decode()


def test_a_wrong_handover_code_is_summarised_with_a_link_to_the_code(client, chain):
    w = chain
    m = services.seal(w.alice, w.draft())
    client.force_login(w.dan)
    data = {"vehicle": w.truck.pk, "handover_by": w.alice.pk, "handover_code": "wrong-code"}
    data.update({f"line_{line.pk}": str(line.quantity_kg) for line in m.lines.all()})
    html = client.post(reverse("manifests:pickup", args=[m.pk]), data).content.decode()
    assert 'href="#id_handover_code"' in summary(html)


def test_receipt_errors_name_their_line(client, chain):
    w = chain
    m = delivered(w)
    first, second = m.lines.order_by("position")
    client.force_login(w.fred)
    data = {"action": "receive", "password": PASSWORD, f"line_{first.pk}_quantity": "50", f"line_{second.pk}_quantity": str(second.quantity_kg)}
    data.update({f"line_{line.pk}_code": line.waste_code_id for line in (first, second)})
    html = client.post(reverse("manifests:receive", args=[m.pk]), data).content.decode()
    items = summary(html)
    assert f'href="#id_line_{first.pk}_comment"' in items and "1. 17 02 03" in items


def test_the_summary_script_focuses_the_summary_and_its_links_focus_fields():
    script = (STATIC / "js" / "error-summary.js").read_text()
    assert "[data-error-summary]" in script and ".focus()" in script and "getElementById" in script


# --- numbers, code names, stacked tables --------------------------------------------------------------------


def test_manifest_numbers_never_break_in_headings(client, chain):
    w = chain
    m = ready(w)
    client.force_login(w.alice)
    html = client.get(reverse("manifests:detail", args=[m.pk])).content.decode()
    assert re.search(rf'<h1>[^<]*<span class="manifest-number">{re.escape(m.number)}</span>', html)
    assert ".manifest-number" in (STATIC / "css" / "hwms.css").read_text()


def test_a_checked_code_comes_back_with_its_name(client, chain):
    w = chain
    client.force_login(w.alice)
    # Refused for another field: the code was checked, its name is shown beside it.
    html = client.post(reverse("manifests:create"), draft_post(w, transporter="")).content.decode()
    assert re.search(r'id="id_lines-0-waste_code_name"[^>]*>' + re.escape(w.oil.name_vi) + "<", html)
    script = (STATIC / "js" / "manifest-form.js").read_text()
    assert "waste-code-options" in script and "_name" in script


def test_tables_stack_on_a_phone_with_their_column_names(client, chain):
    w = chain
    m = ready(w)
    client.force_login(w.alice)
    html = client.get(reverse("manifests:detail", args=[m.pk])).content.decode()
    assert '<table class="stack">' in html and 'data-label="Kê khai (kg)"' in html
    css = (STATIC / "css" / "hwms.css").read_text()
    assert "table.stack td[data-label]::before" in css and "attr(data-label)" in css


def test_declared_total_is_what_the_cards_show(chain):
    w = chain
    m = ready(w)
    assert Manifest.objects.get(pk=m.pk).declared_kg == Decimal("140.50")
