"""Revisions after completion: a party proposes new values with a reason; the other parties approve or
refuse; an approved revision becomes the next version, and the history stays visible."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from manifests import services
from manifests.models import ManifestSnapshot, Revision
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def completed(w):
    m = services.sign(w.alice, w.draft(), PASSWORD)
    m = services.pickup(w.dan, m, vehicle=w.truck, quantities={line.pk: line.quantity_kg for line in m.lines.all()})
    m = services.deliver(w.dan, m)
    m = services.receive(w.fred, m, password=PASSWORD, lines={line.pk: {"received_quantity_kg": line.quantity_kg} for line in m.lines.all()})
    today = timezone.localdate()
    return services.treat(w.fred, m, password=PASSWORD, lines={line.pk: {"treatment_method": w.incineration, "treated_on": today} for line in m.lines.all()})


def first_line(m):
    return m.lines.order_by("position").first()


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def propose(client, w, m, user=None, **values):
    client.force_login(user or w.alice)
    line = first_line(m)
    data = {"comment": values.pop("comment", "Cân lại tại cơ sở")}
    for name, value in values.items():
        data[f"line_{line.pk}_{name}"] = value
    return client.post(reverse("manifests:revision_create", args=[m.pk]), data)


# --- who may propose -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona, expected",
    [("alice", 200), ("bob", 200), ("fred", 200), ("dan", 403), ("vera", 403), ("hanoi_official", 403),
     ("central_official", 403), ("zoe", 404), ("nobody", 404)],
)
def test_the_parties_propose_revisions(client, chain, persona, expected):
    m = completed(chain)
    client.force_login(getattr(chain, persona))
    assert client.get(reverse("manifests:revision_create", args=[m.pk])).status_code == expected


def test_only_a_completed_manifest_can_be_revised(client, chain):
    m = services.sign(chain.alice, chain.draft(), PASSWORD)
    client.force_login(chain.alice)
    response = client.get(reverse("manifests:revision_create", args=[m.pk]))
    assert response["Location"] == reverse("manifests:detail", args=[m.pk])
    assert any("no longer possible" in text for text in messages_of(response))


# --- proposing -------------------------------------------------------------------------------------------


def test_a_reason_and_a_changed_value_are_needed(client, chain):
    w = chain
    m = completed(w)
    response = propose(client, w, m, comment="", received_quantity_kg="95")
    assert "comment" in response.context["form"].errors
    response = propose(client, w, m)
    assert "Propose at least one changed value." in response.content.decode()
    # The current value again is no change.
    response = propose(client, w, m, received_quantity_kg=str(first_line(m).received_quantity_kg))
    assert "Propose at least one changed value." in response.content.decode()
    assert not Revision.objects.exists()


def test_a_treatment_date_in_the_future_is_refused_next_to_the_field(client, chain):
    w = chain
    m = completed(w)
    line = first_line(m)
    response = propose(client, w, m, treated_on=(timezone.localdate() + timedelta(days=3)).isoformat())
    assert f"line_{line.pk}_treated_on" in response.context["form"].errors
    assert not Revision.objects.exists()


def test_the_detail_page_shows_the_proposal_against_the_current_values(client, chain):
    w = chain
    m = completed(w)
    response = propose(client, w, m, received_quantity_kg="95,5", treatment_method=w.recycling.pk)
    assert response["Location"] == reverse("manifests:detail", args=[m.pk])
    revision = Revision.objects.get()
    line = first_line(m)
    assert revision.changes == {"lines": {str(line.pk): {"received_quantity_kg": "95.50", "treatment_method": "TC"}}}
    # The requester's organisation has approved by proposing: no form for Alice.
    client.force_login(w.alice)
    response = client.get(reverse("manifests:detail", args=[m.pk]))
    assert response.context["pending"] == revision and response.context["deciding_org"] is None
    assert [(c.field, c.current, c.proposed) for c in response.context["pending_changes"]] == [
        ("received_quantity_kg", "100", "95.5"),
        ("treatment_method", "TĐ – Thiêu đốt", "TC – Tận thu/tái chế"),
    ]
    assert "propose" not in " ".join(a.name for a in response.context["actions"])
    # Omega decides.
    client.force_login(w.fred)
    body = client.get(reverse("manifests:detail", args=[m.pk])).content.decode()
    assert reverse("manifests:revision_decide", args=[revision.pk]) in body and "Approve the revision" in body
    # A second proposal waits for the first.
    response = propose(client, w, m, user=w.fred, received_quantity_kg="90")
    assert response.status_code == 302 and Revision.objects.count() == 1


def test_approval_by_the_other_parties_makes_version_2(client, chain):
    w = chain
    m = completed(w)
    propose(client, w, m, received_quantity_kg="95")
    revision = Revision.objects.get()
    client.force_login(w.fred)
    response = client.post(reverse("manifests:revision_decide", args=[revision.pk]), {"decision": "approve"})
    assert response["Location"] == reverse("manifests:detail", args=[m.pk])
    assert any("version 2" in text for text in messages_of(response))
    m.refresh_from_db()
    revision.refresh_from_db()
    assert m.version == 2 and revision.state == Revision.State.APPROVED
    assert first_line(m).received_quantity_kg == Decimal("95.00")
    assert ManifestSnapshot.objects.filter(manifest=m, version=2, step="revision").exists()
    body = client.get(reverse("manifests:detail", args=[m.pk])).content.decode()
    assert "version 2" in body and "Revision applied (new version)" in body and "Approved" in body
    # Decided: no second decision.
    response = client.post(reverse("manifests:revision_decide", args=[revision.pk]), {"decision": "refuse", "comment": "x"})
    assert response.status_code == 302 and any("already been decided" in text for text in messages_of(response))


def test_refusing_needs_a_reason_and_keeps_the_version(client, chain):
    w = chain
    m = completed(w)
    propose(client, w, m, description="Dầu thải đã lọc")
    revision = Revision.objects.get()
    client.force_login(w.fred)
    url = reverse("manifests:revision_decide", args=[revision.pk])
    response = client.post(url, {"decision": "refuse", "comment": ""})
    assert response.status_code == 200 and "Explain why you refuse the revision." in response.content.decode()
    response = client.post(url, {"decision": "refuse", "comment": "Số liệu cân đúng"})
    assert response.status_code == 302
    m.refresh_from_db()
    revision.refresh_from_db()
    assert m.version == 1 and revision.state == Revision.State.REFUSED
    assert first_line(m).description == "Dầu thải từ máy nén"
    body = client.get(reverse("manifests:detail", args=[m.pk])).content.decode()
    assert "Refused" in body and "Số liệu cân đúng" in body
    assert AuditEvent.objects.filter(chain=m.chain, action="revision.refused").exists()


@pytest.mark.parametrize(
    "persona, get_status, post_status",
    [("fred", 200, 302), ("alice", 200, 403), ("vera", 200, 403), ("dan", 200, 403), ("hanoi_official", 200, 403),
     ("zoe", 404, 404), ("nobody", 404, 404)],
)
def test_who_may_decide(client, chain, persona, get_status, post_status):
    w = chain
    m = completed(w)
    revision = services.request_revision(w.alice, m, changes={first_line(m).pk: {"received_quantity_kg": "95"}}, comment="Cân lại")
    url = reverse("manifests:revision_decide", args=[revision.pk])
    client.force_login(getattr(w, persona))
    assert client.get(url).status_code == get_status
    assert client.post(url, {"decision": "approve"}).status_code == post_status


def test_an_unknown_revision_is_not_found(client, chain):
    client.force_login(chain.alice)
    assert client.get(reverse("manifests:revision_decide", args=[999])).status_code == 404
