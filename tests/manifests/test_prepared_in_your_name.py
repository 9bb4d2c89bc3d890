"""Finding 1 of the security test: a facility that also transports could file a manifest naming any generator,
seal it and type wrong handover codes on its pickup page, locking the generator's people. Now:
- wrong codes count against the driver's account too, whose own (lower) limit locks its code entry first;
- only the transporter named on the manifest may type codes at all (others are refused before any count);
- the generator is warned of manifests others prepared in its name (a notice, a list on its home page) and may
  refuse them before they are signed or picked up."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.audit import verify_chains
from accounts.models import AuditEvent, Membership
from manifests import selectors, services
from manifests.errors import TransitionError
from manifests.models import HandoverCode, HandoverEntryLock, Manifest, Notification, Status
from tests import factories
from tests.factories import PASSWORD
from tests.manifests.lifecycle import quantities

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


def prepared_by_omega(w):
    """Omega (facility and transporter) prepares and seals a manifest in Alpha's name."""
    return services.seal(w.fred, w.draft(w.fred))


def pickup(w, m, driver, person, code):
    return services.pickup(driver, m, vehicle=w.truck, quantities=quantities(m), handover_by=person, handover_code=code)


def wrong(code):
    return "000000" if code != "000000" else "111111"


# --- (a) per device / driver -----------------------------------------------------------------------------


def test_wrong_codes_from_one_driver_lock_that_drivers_entry_not_the_generators_people(chain, settings):
    settings.HWMS_HANDOVER_ENTRY_MAX_ATTEMPTS = 3
    settings.HWMS_SIGNATURE_CODE_MAX_ATTEMPTS = 5
    w = chain
    bob_code = services.set_handover_code(w.bob, w.alpha, PASSWORD)
    m = prepared_by_omega(w)
    for person, code in ((w.alice, w.code), (w.bob, bob_code), (w.alice, w.code)):
        with pytest.raises(TransitionError, match="not correct"):
            pickup(w, m, w.dan, person, wrong(code))
    lock = HandoverEntryLock.objects.get(user=w.dan)
    assert lock.locked_until > timezone.now()
    # Dan cannot type any more codes, even the right one...
    with pytest.raises(TransitionError, match="code entry is locked until") as refused:
        pickup(w, m, w.dan, w.alice, w.code)
    assert refused.value.field == "handover_code"
    # ...and that attempt counted against nobody: the people's codes are not locked.
    for user in (w.alice, w.bob):
        record = HandoverCode.objects.get(membership__user=user)
        assert record.locked_until is None and record.failed_attempts < settings.HWMS_SIGNATURE_CODE_MAX_ATTEMPTS
    # Another driver of the transporter picks up with Alice's code.
    other = factories.UserFactory(username="dan2")
    factories.MembershipFactory(user=other, organisation=w.omega, role=Membership.Role.DRIVER)
    m = pickup(w, Manifest.objects.get(pk=m.pk), other, w.alice, w.code)
    assert m.status == Status.IN_TRANSIT and m.generator_signed_by == w.alice


def test_a_right_code_clears_the_drivers_count(chain, settings):
    settings.HWMS_HANDOVER_ENTRY_MAX_ATTEMPTS = 3
    w = chain
    m = prepared_by_omega(w)
    with pytest.raises(TransitionError, match="not correct"):
        pickup(w, m, w.dan, w.alice, wrong(w.code))
    assert HandoverEntryLock.objects.get(user=w.dan).failed_attempts == 1
    pickup(w, m, w.dan, w.alice, w.code)
    assert HandoverEntryLock.objects.get(user=w.dan).failed_attempts == 0


def test_a_transporter_not_named_on_the_manifest_cannot_type_codes_and_counts_nothing(chain):
    w = chain
    other_carrier = factories.OrganisationFactory(name="Carrier", tax_code="0107777777", is_generator=False, is_transporter=True)
    stranger = factories.UserFactory(username="stranger")
    factories.MembershipFactory(user=stranger, organisation=other_carrier, role=Membership.Role.DRIVER)
    m = prepared_by_omega(w)
    with pytest.raises(PermissionDenied):
        pickup(w, m, stranger, w.alice, wrong(w.code))
    assert HandoverCode.objects.get(membership__user=w.alice).failed_attempts == 0
    assert not HandoverEntryLock.objects.filter(user=stranger).exists()


# --- (b) refusal -------------------------------------------------------------------------------------------


def test_the_generator_refuses_a_manifest_prepared_in_its_name(chain):
    w = chain
    m = prepared_by_omega(w)
    m = services.refuse(w.alice, m, "Chúng tôi không đặt chuyến thu gom này")
    assert m.status == Status.CANCELLED and m.refused_by_generator
    assert m.cancel_reason == "Chúng tôi không đặt chuyến thu gom này" and m.cancelled_at is not None
    event = AuditEvent.objects.get(chain=m.chain, action="refused")
    assert event.actor == w.alice and event.organisation == w.alpha
    assert event.data["reason"] == m.cancel_reason and event.data["prepared_by"] == w.omega.pk
    checked, problem = verify_chains([m.chain])
    assert checked == 3 and problem is None  # created, sealed, refused
    # The preparer (and transporter) hears of it; nobody can pick it up any more.
    assert set(Notification.objects.filter(manifest=m, kind=Notification.Kind.REFUSED).values_list("user__username", flat=True)) == {"fred"}
    with pytest.raises(TransitionError, match="no longer possible"):
        pickup(w, m, w.dan, w.alice, w.code)


def test_refusing_needs_a_reason(chain):
    w = chain
    m = prepared_by_omega(w)
    with pytest.raises(TransitionError) as refused:
        services.refuse(w.alice, m, "  ")
    assert refused.value.field == "reason"
    assert Manifest.objects.get(pk=m.pk).status == Status.SEALED


@pytest.mark.parametrize("persona", ["vera", "fred", "dan", "zoe", "central_official"])
def test_only_the_generators_acting_staff_may_refuse(chain, persona):
    w = chain
    m = prepared_by_omega(w)
    with pytest.raises(PermissionDenied):
        services.refuse(getattr(w, persona), m, "Không phải của chúng tôi")
    assert Manifest.objects.get(pk=m.pk).status == Status.SEALED


def test_a_generator_does_not_refuse_its_own_manifest_it_cancels_it(chain):
    w = chain
    m = services.seal(w.alice, w.draft())
    with pytest.raises(PermissionDenied):
        services.refuse(w.alice, m, "Nhầm")
    assert not any(a.name == "refuse" for a in selectors.available_actions(w.alice, m))


def test_once_signed_the_manifest_is_no_longer_refused_but_cancelled(chain):
    w = chain
    m = services.sign(w.alice, prepared_by_omega(w), PASSWORD)
    with pytest.raises(TransitionError, match="no longer possible"):
        services.refuse(w.alice, m, "Đổi ý")


def test_the_refusal_page_is_a_post_with_a_reason(client, chain):
    w = chain
    m = prepared_by_omega(w)
    url = reverse("manifests:refuse", args=[m.pk])
    client.force_login(w.alice)
    detail = client.get(reverse("manifests:detail", args=[m.pk])).content.decode()
    assert url in detail
    assert client.get(url).status_code == 200
    assert Manifest.objects.get(pk=m.pk).status == Status.SEALED  # GET changes nothing
    response = client.post(url, {"reason": "Không phải chất thải của chúng tôi"})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.status == Status.CANCELLED and m.refused_by_generator
    page = client.get(reverse("manifests:detail", args=[m.pk])).content.decode()
    with translation.override("vi"):  # the page speaks the portal's language
        refused = gettext("Refused by the generator, reason")
    assert refused in page and "Không phải chất thải của chúng tôi" in page
    client.force_login(w.zoe)
    assert client.post(url, {"reason": "x"}).status_code == 404


# --- (c) warning -------------------------------------------------------------------------------------------


def test_the_generator_is_warned_of_a_manifest_prepared_in_its_name(chain, client):
    w = chain
    own = services.seal(w.alice, w.draft())
    m = prepared_by_omega(w)
    warned = Notification.objects.filter(manifest=m, kind=Notification.Kind.PREPARED_FOR_YOU)
    assert sorted(warned.values_list("user__username", flat=True)) == ["alice", "bob", "vera"]
    assert not Notification.objects.filter(manifest=own, kind=Notification.Kind.PREPARED_FOR_YOU).exists()
    client.force_login(w.alice)
    home = client.get("/").content.decode()
    assert 'id="prepared-for-you"' in home and m.number in home and "Omega" in home
    assert own.number not in home.split('id="prepared-for-you"')[1].split("</div>")[0]
    # The facility that prepared it is not warned of its own work; after the refusal the warning is gone.
    assert selectors.prepared_for_you(w.fred) == []
    services.refuse(w.alice, m, "Không đặt")
    assert 'id="prepared-for-you"' not in client.get("/").content.decode()


def test_a_member_limited_to_another_site_is_not_warned(chain):
    w = chain
    m = services.seal(w.fred, w.draft(w.fred, site=w.alpha_hcm))
    assert selectors.prepared_for_you(w.alice) == [m]
    assert selectors.prepared_for_you(w.bob) == []  # bob works at the Hà Nội site only
