"""Generator pages: list and filters, the draft form, detail with timeline and actions, signing, sealing,
cancelling, the personal handover code; who may open what (200 / 403 / 404)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from manifests import access, selectors, services
from manifests.models import HandoverCode, Manifest, Status
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


# --- helpers -------------------------------------------------------------------------------------------


def ready(w, **kwargs):
    return services.sign(w.alice, w.draft(**kwargs), PASSWORD)


def quantities(m):
    return {line.pk: line.quantity_kg for line in m.lines.all()}


def delivered(w):
    m = ready(w)
    m = services.pickup(w.dan, m, vehicle=w.truck, quantities=quantities(m))
    return services.deliver(w.dan, m)


def completed(w):
    m = delivered(w)
    m = services.receive(w.fred, m, password=PASSWORD, lines={line.pk: {"received_quantity_kg": line.quantity_kg} for line in m.lines.all()})
    today = timezone.localdate()
    return services.treat(w.fred, m, password=PASSWORD, lines={line.pk: {"treatment_method": w.incineration, "treated_on": today} for line in m.lines.all()})


def facility_draft(w):
    """Omega prepares a manifest on Alpha's behalf."""
    return services.create_draft(
        w.fred,
        generator_site=w.alpha_hn,
        facility_site=w.omega_site,
        permit=w.permit,
        transporter=w.omega,
        planned_pickup_date=timezone.localdate(),
        lines=[w.line()],
    )


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def draft_data(w, lines=None, **extra):
    """POST data of the draft form: the parties, then the line formset."""
    lines = lines if lines is not None else [{"waste_code": "17 02 03", "quantity_kg": "120,5"}]
    data = {
        "generator_site": w.alpha_hn.pk,
        "facility_site": w.omega_site.pk,
        "permit": w.permit.pk,
        "transporter": w.omega.pk,
        "planned_pickup_date": timezone.localdate().isoformat(),
        "note": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, line in enumerate(lines):
        values = {
            "waste_code": "17 02 03",
            "description": "Dầu thải từ máy nén",
            "physical_state": "liquid",
            "packaging_type": "drum",
            "packaging_count": "2",
            "quantity_kg": "100",
        } | line
        for name, value in values.items():
            data[f"lines-{index}-{name}"] = value
    data.update(extra)
    return data


@pytest.fixture(autouse=True)
def english(client, settings):
    """Messages are checked in English (the msgids); the portal's default language stays Vietnamese."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def status_of(client, user, method, url, data=None):
    client.force_login(user)
    response = client.post(url, data or {}) if method == "post" else client.get(url)
    return response.status_code


# --- who may open what -----------------------------------------------------------------------------------

PERSONAS = ["alice", "bob", "vera", "fred", "dan", "zoe", "hanoi_official", "central_official", "admin", "nobody"]


@pytest.mark.parametrize(
    "persona, expected",
    [("alice", 200), ("bob", 200), ("vera", 403), ("fred", 200), ("dan", 403), ("zoe", 200),
     ("hanoi_official", 403), ("central_official", 403), ("admin", 403), ("nobody", 403)],
)
def test_the_new_manifest_page_is_for_those_who_prepare(client, chain, persona, expected):
    assert status_of(client, getattr(chain, persona), "get", reverse("manifests:create")) == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_everyone_logged_in_has_a_list(client, chain, persona):
    assert status_of(client, getattr(chain, persona), "get", reverse("manifests:list")) == 200


def test_pages_need_a_login(client, chain):
    m = chain.draft()
    for url in (reverse("manifests:list"), reverse("manifests:detail", args=[m.pk]), reverse("manifests:create")):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


# A draft prepared by Alpha: only Alpha's people (within their site limits) see it.
DRAFT_TABLE = {
    "detail": {"alice": 200, "bob": 200, "vera": 200, "fred": 404, "dan": 404, "zoe": 404, "hanoi_official": 404, "central_official": 404, "admin": 404, "nobody": 404},
    "edit": {"alice": 200, "bob": 200, "vera": 403, "fred": 404, "zoe": 404, "hanoi_official": 404, "admin": 404},
    "sign": {"alice": 200, "bob": 200, "vera": 403, "fred": 404, "dan": 404, "central_official": 404},
    "cancel": {"alice": 200, "bob": 200, "vera": 403, "fred": 404, "zoe": 404},
}


@pytest.mark.parametrize("name, persona, expected", [(n, p, e) for n, table in DRAFT_TABLE.items() for p, e in table.items()])
def test_a_draft_is_seen_only_by_the_organisation_preparing_it(client, chain, name, persona, expected):
    m = chain.draft()
    assert status_of(client, getattr(chain, persona), "get", reverse(f"manifests:{name}", args=[m.pk])) == expected


@pytest.mark.parametrize(
    "persona, expected",
    [("alice", 302), ("bob", 302), ("vera", 403), ("fred", 404), ("zoe", 404), ("central_official", 404)],
)
def test_seal_is_for_the_preparing_organisation(client, chain, persona, expected):
    m = chain.draft()
    assert status_of(client, getattr(chain, persona), "post", reverse("manifests:seal", args=[m.pk])) == expected


def test_a_draft_of_another_site_is_hidden_from_a_member_limited_to_one_site(client, chain):
    m = chain.draft(site=chain.alpha_hcm)
    assert status_of(client, chain.bob, "get", reverse("manifests:detail", args=[m.pk])) == 404
    assert status_of(client, chain.alice, "get", reverse("manifests:detail", args=[m.pk])) == 200


@pytest.mark.parametrize(
    "persona, expected",
    [("alice", 200), ("vera", 200), ("fred", 200), ("dan", 200), ("hanoi_official", 200), ("central_official", 200),
     ("admin", 200), ("zoe", 404), ("nobody", 404)],
)
def test_past_the_draft_the_parties_and_officials_see_the_manifest(client, chain, persona, expected):
    m = ready(chain)
    assert status_of(client, getattr(chain, persona), "get", reverse("manifests:detail", args=[m.pk])) == expected


@pytest.mark.parametrize(
    "name, persona, expected",
    [("edit", "alice", 302), ("edit", "fred", 403), ("sign", "alice", 302), ("sign", "fred", 403), ("sign", "hanoi_official", 403),
     ("cancel", "alice", 200), ("cancel", "bob", 200), ("cancel", "fred", 403), ("cancel", "dan", 403), ("cancel", "zoe", 404)],
)
def test_a_ready_manifest_can_no_longer_be_edited_or_signed(client, chain, name, persona, expected):
    m = ready(chain)
    assert status_of(client, getattr(chain, persona), "get", reverse(f"manifests:{name}", args=[m.pk])) == expected


def test_editing_a_signed_manifest_goes_back_with_a_message(client, chain):
    m = ready(chain)
    client.force_login(chain.alice)
    response = client.get(reverse("manifests:edit", args=[m.pk]))
    assert response["Location"] == reverse("manifests:detail", args=[m.pk])
    assert any("no longer possible" in text for text in messages_of(response))


def test_a_draft_prepared_by_the_facility_is_hidden_from_the_generator_until_sealed(client, chain):
    w = chain
    m = facility_draft(w)
    url = reverse("manifests:detail", args=[m.pk])
    assert status_of(client, w.alice, "get", url) == 404
    assert status_of(client, w.hanoi_official, "get", url) == 404
    assert status_of(client, w.fred, "get", url) == 200
    assert status_of(client, w.fred, "get", reverse("manifests:edit", args=[m.pk])) == 200
    # Fred cannot sign for the generator.
    assert status_of(client, w.fred, "get", reverse("manifests:sign", args=[m.pk])) == 403
    client.force_login(w.fred)
    client.post(reverse("manifests:seal", args=[m.pk]))
    m.refresh_from_db()
    assert m.status == Status.SEALED
    assert status_of(client, w.alice, "get", url) == 200
    client.force_login(w.alice)
    response = client.post(reverse("manifests:sign", args=[m.pk]), {"password": PASSWORD})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.status == Status.READY and m.generator_signed_by == w.alice


# --- list ----------------------------------------------------------------------------------------------


def test_the_list_shows_visible_manifests_newest_first_with_totals(client, chain):
    w = chain
    first = ready(w)
    second = w.draft(lines=[w.line(quantity="12.5")])
    zetas = factories.SiteFactory(organisation=w.zeta, ward=w.hcm_ward, latitude=None, longitude=None)
    other = services.create_draft(
        w.zoe, generator_site=zetas, facility_site=w.omega_site, permit=w.permit, transporter=w.omega,
        planned_pickup_date=timezone.localdate(), lines=[w.line()],
    )
    client.force_login(w.alice)
    body = client.get(reverse("manifests:list")).content.decode()
    assert body.index(second.number) < body.index(first.number)
    assert other.number not in body
    assert "140.5" in body and "12.5" in body
    assert reverse("manifests:create") in body
    assert reverse("manifests:export") in body


def test_a_viewer_has_no_create_button(client, chain):
    client.force_login(chain.vera)
    assert reverse("manifests:create") not in client.get(reverse("manifests:list")).content.decode()


def test_the_list_filters(client, chain):
    w = chain
    oil_only = w.draft(lines=[w.line(w.oil)])
    lamps = ready(w, lines=[w.line(w.lamps)])
    later = w.draft(lines=[w.line()])
    Manifest.objects.filter(pk=later.pk).update(planned_pickup_date=timezone.localdate() + timedelta(days=10))
    Manifest.objects.filter(pk=oil_only.pk).update(created_at=timezone.now() - timedelta(days=40))
    for manifest in Manifest.objects.filter(pk__in=[oil_only.pk, later.pk]):
        access.sync(manifest)  # the list rows copy what a direct update changed
    client.force_login(w.alice)

    def numbers(**params):
        page = client.get(reverse("manifests:list"), params).context["page"]
        return {m.number for m in page.items}

    assert numbers(status="ready_for_pickup") == {lamps.number}
    assert numbers(waste_code="160106") == {lamps.number}
    assert numbers(waste_code="17 02") == {oil_only.number, later.number}
    assert numbers(number=lamps.number[-6:]) == {lamps.number}
    assert numbers(counterpart="omeg") == {oil_only.number, lamps.number, later.number}
    assert numbers(counterpart="Zeta") == set()
    today = timezone.localdate()
    assert numbers(date_from=(today - timedelta(days=1)).isoformat()) == {lamps.number, later.number}
    assert numbers(date_to=(today - timedelta(days=30)).strftime("%d/%m/%Y")) == {oil_only.number}
    assert numbers(date_field="planned", date_from=(today + timedelta(days=5)).isoformat()) == {later.number}
    assert numbers(date_field="planned", date_to=today.isoformat()) == {oil_only.number, lamps.number}
    # A bad value is ignored, never a 500.
    assert client.get(reverse("manifests:list"), {"date_from": "not a date", "status": "nope"}).status_code == 200


def test_the_export_link_keeps_the_filters(client, chain):
    chain.draft()
    client.force_login(chain.alice)
    body = client.get(reverse("manifests:list"), {"status": "draft", "after": "1"}).content.decode()
    assert f'{reverse("manifests:export")}?status=draft&amp;format=xlsx' in body


def test_the_list_paginates_and_its_query_count_does_not_grow_with_rows(client, chain, django_assert_max_num_queries):
    w = chain
    for _ in range(30):
        w.draft(lines=[w.line(), w.line(w.lamps, "3")])
    client.force_login(w.alice)
    with django_assert_max_num_queries(11):
        response = client.get(reverse("manifests:list"))
    page = response.context["page"]
    assert response.context["count"] == 30 and len(page.items) == 25
    assert page.items[0].declared_kg == Decimal("103.00")
    with django_assert_max_num_queries(13):
        following = client.get(reverse("manifests:list"), {"after": page.next_cursor, "waste_code": "16", "counterpart": "Omega"})
    assert following.status_code == 200 and len(following.context["page"].items) == 5


# --- the draft form --------------------------------------------------------------------------------------


def test_the_form_offers_the_generator_its_own_sites_and_any_facility(client, chain):
    w = chain
    client.force_login(w.bob)
    form = client.get(reverse("manifests:create")).context["form"]
    assert list(form.fields["generator_site"].queryset) == [w.alpha_hn]
    assert w.omega_site in form.fields["facility_site"].queryset
    assert w.permit in form.fields["permit"].queryset


def test_the_form_offers_the_facility_any_generator_site_and_its_own_facility(client, chain):
    w = chain
    client.force_login(w.fred)
    form = client.get(reverse("manifests:create")).context["form"]
    assert {w.alpha_hn, w.alpha_hcm, w.zeta_site} <= set(form.fields["generator_site"].queryset)
    assert list(form.fields["facility_site"].queryset) == [w.omega_site]


def test_creating_a_draft_saves_it_with_its_lines(client, chain):
    w = chain
    client.force_login(w.alice)
    data = draft_data(w, lines=[{"quantity_kg": "120,5"}, {"waste_code": "160106", "physical_state": "solid", "quantity_kg": "40"}])
    response = client.post(reverse("manifests:create"), data)
    m = Manifest.objects.get()
    assert response["Location"] == reverse("manifests:detail", args=[m.pk])
    assert m.status == Status.DRAFT and m.prepared_by == w.alpha and m.created_by == w.alice
    lines = list(m.lines.order_by("position"))
    assert [(line.waste_code.code, line.quantity_kg) for line in lines] == [("17 02 03", Decimal("120.50")), ("16 01 06", Decimal("40.00"))]
    assert AuditEvent.objects.filter(chain=m.chain, action="created").exists()
    # The draft is on the server: the edit page shows it again.
    body = client.get(reverse("manifests:edit", args=[m.pk])).content.decode()
    assert 'value="16 01 06"' in body and "Dầu thải từ máy nén" in body


def test_blank_extra_lines_are_ignored_and_deleted_lines_dropped(client, chain):
    w = chain
    client.force_login(w.alice)
    data = draft_data(w, lines=[{}, {"quantity_kg": "5", "DELETE": "on"}])
    data.update({"lines-TOTAL_FORMS": "3", "lines-2-physical_state": "", "lines-2-packaging_type": ""})
    client.post(reverse("manifests:create"), data)
    m = Manifest.objects.get()
    assert m.lines.count() == 1


def test_errors_are_shown_next_to_the_fields_and_nothing_is_saved(client, chain):
    w = chain
    client.force_login(w.alice)
    data = draft_data(w, lines=[{"quantity_kg": "0"}, {"waste_code": "99 99 99"}], permit="")
    response = client.post(reverse("manifests:create"), data)
    assert response.status_code == 200
    assert Manifest.objects.count() == 0
    formset, form = response.context["formset"], response.context["form"]
    assert "quantity_kg" in formset.forms[0].errors
    assert "waste_code" in formset.forms[1].errors
    assert "permit" in form.errors
    body = response.content.decode()
    assert 'id="id_lines-0-quantity_kg_error"' in body and 'id="id_lines-1-waste_code_error"' in body
    assert "is not a waste code of the current catalog" in body


def test_a_code_the_permit_does_not_cover_is_refused_on_its_line(client, chain):
    w = chain
    client.force_login(w.alice)
    response = client.post(reverse("manifests:create"), draft_data(w, lines=[{}, {"waste_code": "19 06 01"}]))
    assert Manifest.objects.count() == 0
    assert "does not cover waste code 19 06 01" in str(response.context["formset"].forms[1].errors["waste_code"])


def test_a_draft_needs_at_least_one_line(client, chain):
    w = chain
    client.force_login(w.alice)
    data = draft_data(w, lines=[])
    response = client.post(reverse("manifests:create"), data)
    assert Manifest.objects.count() == 0
    assert "Add at least one waste line." in response.content.decode()


def test_a_generator_cannot_prepare_for_a_site_it_does_not_act_for(client, chain):
    w = chain
    client.force_login(w.bob)
    response = client.post(reverse("manifests:create"), draft_data(w, generator_site=w.alpha_hcm.pk))
    assert response.status_code == 200 and Manifest.objects.count() == 0
    assert "generator_site" in response.context["form"].errors


def test_save_and_sign_goes_to_the_signature(client, chain):
    w = chain
    client.force_login(w.alice)
    response = client.post(reverse("manifests:create"), draft_data(w, then="sign"))
    m = Manifest.objects.get()
    assert response["Location"] == reverse("manifests:sign", args=[m.pk])


def test_editing_a_draft_replaces_its_lines(client, chain):
    w = chain
    m = w.draft()
    client.force_login(w.bob)
    data = draft_data(w, lines=[{"waste_code": "16 01 06", "quantity_kg": "7"}], note="Cổng sau")
    response = client.post(reverse("manifests:edit", args=[m.pk]), data)
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.note == "Cổng sau"
    assert [(line.waste_code.code, line.quantity_kg) for line in m.lines.all()] == [("16 01 06", Decimal("7.00"))]
    assert AuditEvent.objects.filter(chain=m.chain, action="draft.saved").count() == 1


def test_the_facility_prepares_on_the_generators_behalf(client, chain):
    w = chain
    client.force_login(w.fred)
    response = client.post(reverse("manifests:create"), draft_data(w))
    assert response.status_code == 302
    m = Manifest.objects.get()
    assert m.prepared_by == w.omega and m.generator == w.alpha


def test_waste_code_search_by_code_or_name(client, chain):
    client.force_login(chain.alice)
    body = client.get(reverse("manifests:waste_code_search"), {"q": "1601"}).content.decode()
    assert 'value="16 01 06"' in body and "17 02 03" not in body
    body = client.get(reverse("manifests:waste_code_search"), {"lines-0-waste_code": "huỳnh quang"}).content.decode()
    assert 'value="16 01 06"' in body and "19 06 01" not in body


# --- detail ----------------------------------------------------------------------------------------------


def action_names(response):
    return [action.name for action in response.context["actions"]]


def test_the_detail_page_shows_lines_signatures_and_timeline(client, chain):
    w = chain
    m = ready(w)
    client.force_login(w.alice)
    response = client.get(reverse("manifests:detail", args=[m.pk]))
    body = response.content.decode()
    assert m.content_hash in body
    assert "Created" in body and "Signed by the generator" in body
    assert [e.action for e in response.context["events"]] == ["created", "signed"]
    assert "Dầu thải từ máy nén" in body and "140.5" in body
    assert reverse("manifests:pdf", args=[m.pk]) in body


@pytest.mark.parametrize(
    "persona, expected",
    [("alice", ["edit", "import_lines", "seal", "sign", "cancel", "pdf"]), ("vera", ["pdf"])],
)
def test_actions_on_a_draft(client, chain, persona, expected):
    m = chain.draft()
    client.force_login(getattr(chain, persona))
    assert action_names(client.get(reverse("manifests:detail", args=[m.pk]))) == expected


def test_actions_follow_the_status_and_the_role(chain):
    w = chain
    m = ready(w)
    def names(user):
        return [a.name for a in selectors.available_actions(user, m)]
    assert names(w.alice) == ["cancel", "pdf"]
    assert names(w.dan) == ["pickup", "pdf"]
    assert names(w.fred) == ["pickup", "pdf"]  # Omega also transports
    assert names(w.hanoi_official) == ["pdf"]
    m = delivered(w)
    assert names(w.fred) == ["receive", "pdf"]
    assert names(w.dan) == ["pdf"]
    m = completed(w)
    assert names(w.alice) == ["request_revision", "certificate", "pdf"]
    assert names(w.vera) == ["certificate", "pdf"]
    assert "request_revision" in names(w.fred)


def test_the_seal_button_explains_the_signature_on_the_phone(client, chain):
    m = chain.draft()
    client.force_login(chain.alice)
    body = client.get(reverse("manifests:detail", args=[m.pk])).content.decode()
    assert f'action="{reverse("manifests:seal", args=[m.pk])}"' in body


# --- sign, seal, cancel ----------------------------------------------------------------------------------


def test_the_sign_page_shows_the_hash_that_will_be_signed(client, chain):
    w = chain
    m = services.seal(w.alice, w.draft())
    client.force_login(w.alice)
    response = client.get(reverse("manifests:sign", args=[m.pk]))
    shown = response.context["content_hash"]
    assert shown in response.content.decode() and len(shown) == 64
    client.post(reverse("manifests:sign", args=[m.pk]), {"password": PASSWORD})
    m.refresh_from_db()
    assert m.content_hash == shown


def test_a_draft_is_signed_under_the_official_number_it_takes_then(client, chain):
    w = chain
    m = w.draft()
    client.force_login(w.alice)
    response = client.get(reverse("manifests:sign", args=[m.pk]))
    assert response.context["content_hash"] is None and "takes its official manifest number" in response.content.decode()
    client.post(reverse("manifests:sign", args=[m.pk]), {"password": PASSWORD})
    m.refresh_from_db()
    assert m.has_official_number and m.content_hash == selectors.signing_hash(m)


def test_a_wrong_password_is_refused_next_to_the_field(client, chain):
    w = chain
    m = w.draft()
    client.force_login(w.alice)
    response = client.post(reverse("manifests:sign", args=[m.pk]), {"password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].errors["password"] == ["The password is not correct."]
    assert 'id="id_password_error"' in response.content.decode()
    m.refresh_from_db()
    assert m.status == Status.DRAFT and not m.content_hash


def test_the_right_password_signs(client, chain):
    w = chain
    m = w.draft()
    client.force_login(w.bob)
    response = client.post(reverse("manifests:sign", args=[m.pk]), {"password": PASSWORD})
    assert response["Location"] == reverse("manifests:detail", args=[m.pk])
    m.refresh_from_db()
    assert m.status == Status.READY and m.generator_signed_by == w.bob and m.generator_signature_method == "password"


def test_sealing_sends_the_draft_for_signature(client, chain):
    w = chain
    m = w.draft()
    client.force_login(w.alice)
    assert client.get(reverse("manifests:seal", args=[m.pk])).status_code == 405
    response = client.post(reverse("manifests:seal", args=[m.pk]))
    m.refresh_from_db()
    assert m.status == Status.SEALED
    assert any("waiting for the generator's signature" in text for text in messages_of(response))
    # Twice: a message, not an error page.
    response = client.post(reverse("manifests:seal", args=[m.pk]))
    assert response.status_code == 302 and any("no longer possible" in text for text in messages_of(response))


def test_cancelling_needs_a_reason(client, chain):
    w = chain
    m = ready(w)
    client.force_login(w.alice)
    response = client.post(reverse("manifests:cancel", args=[m.pk]), {"reason": "  "})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    response = client.post(reverse("manifests:cancel", args=[m.pk]), {"reason": "Hoãn thu gom"})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.status == Status.CANCELLED and m.cancel_reason == "Hoãn thu gom"
    assert "Hoãn thu gom" in client.get(reverse("manifests:detail", args=[m.pk])).content.decode()


# --- personal handover code ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona, expected",
    [("alice", 200), ("bob", 200), ("vera", 403), ("fred", 404), ("zoe", 404), ("hanoi_official", 403), ("nobody", 404)],
)
def test_the_handover_code_page_is_for_the_generators_staff(client, chain, persona, expected):
    url = reverse("manifests:handover_code", args=[chain.alpha.pk])
    assert status_of(client, getattr(chain, persona), "get", url) == expected
    assert status_of(client, getattr(chain, persona), "post", url) == expected


def test_organisations_that_do_not_generate_have_no_code(client, chain):
    assert status_of(client, chain.fred, "get", reverse("manifests:handover_code", args=[chain.omega.pk])) == 404


def test_a_new_code_is_shown_once_and_works_on_the_drivers_phone(client, chain):
    w = chain
    url = reverse("manifests:handover_code", args=[w.alpha.pk])
    client.force_login(w.bob)
    assert "no code yet" in client.get(url).content.decode()
    refused = client.post(url, {"password": "wrong"})
    assert refused.status_code == 200 and refused.context["form"].errors["password"] and refused.context["new_code"] is None
    response = client.post(url, {"password": PASSWORD})
    code = response.context["new_code"]
    assert response.status_code == 200 and len(code) == 6 and code in response.content.decode()
    assert "no-store" in response.get("Cache-Control", "") or "max-age=0" in response.get("Cache-Control", "")
    assert code not in " ".join(messages_of(response))
    assert code not in client.get(url).content.decode()
    assert code not in HandoverCode.objects.get(membership__user=w.bob).code_hash
    m = services.seal(w.alice, w.draft())
    m = services.pickup(w.dan, m, vehicle=w.truck, quantities=quantities(m), handover_by=w.bob, handover_code=code)
    assert m.status == Status.IN_TRANSIT and m.generator_signed_by == w.bob


def test_a_locked_code_is_reported_to_its_holder(client, chain, settings):
    settings.HWMS_HANDOVER_ENTRY_MAX_ATTEMPTS = 100  # one driver alone would lock its own code entry first
    w = chain
    m = services.seal(w.alice, w.draft())
    wrong = "000000" if w.code != "000000" else "111111"
    for _ in range(settings.HWMS_SIGNATURE_CODE_MAX_ATTEMPTS):
        with pytest.raises(services.TransitionError):
            services.pickup(w.dan, m, vehicle=w.truck, quantities=quantities(m), handover_by=w.alice, handover_code=wrong)
    client.force_login(w.alice)
    assert "locked after repeated wrong entries" in client.get(reverse("manifests:handover_code", args=[w.alpha.pk])).content.decode()


def test_the_new_manifest_button_follows_the_preparing_sites_without_a_query_for_non_preparers(world, django_assert_num_queries):
    world.omega_site.active = False  # a facility with no active site prepares nothing
    world.omega_site.save()
    for name in ("alice", "bob", "vera", "fred", "dan", "zoe", "hanoi_official", "central_official", "admin", "nobody"):
        user = getattr(world, name)
        assert selectors.can_create(user) == selectors.preparing_sites(user).exists(), name
    for name in ("vera", "dan", "hanoi_official", "central_official"):
        user = getattr(world, name)
        selectors.policy.scope_for(user)
        with django_assert_num_queries(0):
            assert not selectors.can_create(user)
