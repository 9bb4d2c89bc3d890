"""Personal handover confirmation codes, typed on the driver's phone when the generator has not signed ahead: the
person at the gate chooses their name and types their own code, so the record names who handed over. A wrong code
is counted and locks that person's code only; the code is stored hashed and set by its holder."""

import threading
import time

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone, translation

from accounts import services as account_services
from accounts.audit import verify_chains
from accounts.models import AuditEvent, Membership
from manifests import services
from manifests.errors import TransitionError
from manifests.models import HandoverCode, Manifest, Status
from tests.factories import PASSWORD
from tests.manifests.lifecycle import at_status, quantities

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]



def wrong(code):
    return "000000" if code != "000000" else "111111"


def pickup(w, m, person=None, code=None):
    return services.pickup(w.dan, m, vehicle=w.truck, quantities=quantities(m), handover_by=person, handover_code=code)


def record_of(user, org):
    return HandoverCode.objects.get(membership__user=user, membership__organisation=org)


def test_the_record_names_the_person_who_handed_over_with_their_position(chain):
    w = chain
    Membership.objects.filter(user=w.alice, organisation=w.alpha).update(position="Trưởng phòng Môi trường")
    m = pickup(w, at_status(w, Status.SEALED), w.alice, w.code)
    assert m.status == Status.IN_TRANSIT
    assert m.generator_signed_by == w.alice and m.generator_signature_method == "handover_code"
    signed = AuditEvent.objects.get(chain=m.chain, action="signed")
    assert signed.actor == w.alice and signed.organisation == w.alpha and signed.role == Membership.Role.ADMIN
    assert signed.data["method"] == "handover_code" and signed.data["position"] == "Trưởng phòng Môi trường"
    assert signed.data["device_of"] == w.dan.pk and signed.data["content_hash"] == m.content_hash
    picked = AuditEvent.objects.get(chain=m.chain, action="picked_up")
    assert picked.actor == w.dan and picked.organisation == w.omega


def test_a_manifest_sealed_after_the_page_was_read_still_needs_the_handover_code(chain):
    w = chain
    page_read = w.draft()  # the driver's page was built from this draft
    services.seal(w.alice, Manifest.objects.get(pk=page_read.pk))
    with pytest.raises(TransitionError) as refused:
        pickup(w, page_read)
    assert refused.value.field == "handover_by"
    with pytest.raises(TransitionError) as refused:
        pickup(w, page_read, w.alice)
    assert refused.value.field == "handover_code"
    assert Manifest.objects.get(pk=page_read.pk).status == Status.SEALED
    assert pickup(w, page_read, w.alice, w.code).status == Status.IN_TRANSIT


@pytest.mark.django_db(transaction=True)
def test_wrong_codes_lock_that_persons_code_only(chain, settings, monkeypatch):
    """transaction=True: the failure count is read back from the database after the failed transitions."""
    from manifests.tasks import send_notification_emails

    monkeypatch.setattr(send_notification_emails, "delay", lambda ids: None)  # e-mails are not the point here
    settings.HWMS_SIGNATURE_CODE_MAX_ATTEMPTS = 3
    settings.HWMS_HANDOVER_ENTRY_MAX_ATTEMPTS = 10  # the driver's own limit is tested below
    w = chain
    bob_code = services.set_handover_code(w.bob, w.alpha, PASSWORD)
    m = at_status(w, Status.SEALED)
    for attempt in (1, 2):
        with pytest.raises(TransitionError, match="not correct") as refused:
            pickup(w, m, w.alice, wrong(w.code))
        assert refused.value.field == "handover_code"
        assert record_of(w.alice, w.alpha).failed_attempts == attempt
    with pytest.raises(TransitionError, match="not correct"):
        pickup(w, m, w.alice, wrong(w.code))
    assert record_of(w.alice, w.alpha).locked_until > timezone.now()
    with pytest.raises(TransitionError, match="locked until"):
        pickup(w, m, w.alice, w.code)
    assert record_of(w.bob, w.alpha).failed_attempts == 0
    # Alice sets a new code: the lock and the count are gone, the old code is dead.
    new_code = services.set_handover_code(w.alice, w.alpha, PASSWORD)
    if new_code != w.code:
        with pytest.raises(TransitionError, match="not correct"):
            pickup(w, m, w.alice, w.code)
    # Bob's code was never locked: he hands over (the manifest is of the Hà Nội site, where he works).
    m = pickup(w, m, w.bob, bob_code)
    assert m.status == Status.IN_TRANSIT and m.generator_signed_by == w.bob


def test_a_wrong_code_is_counted_and_a_missing_one_is_not(chain):
    w = chain
    m = at_status(w, Status.SEALED)
    with pytest.raises(TransitionError, match="not correct"):
        pickup(w, m, w.alice, wrong(w.code))
    assert record_of(w.alice, w.alpha).failed_attempts == 1
    with pytest.raises(TransitionError, match="must type"):
        pickup(w, m, w.alice, "")
    assert record_of(w.alice, w.alpha).failed_attempts == 1
    pickup(w, m, w.alice, w.code)
    assert record_of(w.alice, w.alpha).failed_attempts == 0


def test_the_code_is_stored_hashed(chain):
    w = chain
    record = record_of(w.alice, w.alpha)
    assert w.code not in record.code_hash and len(w.code) == 6


def test_a_code_is_not_needed_once_the_generator_signed(chain):
    w = chain
    m = pickup(w, at_status(w, Status.READY), w.alice, wrong(w.code))
    assert m.status == Status.IN_TRANSIT and m.generator_signature_method == "password"
    assert record_of(w.alice, w.alpha).failed_attempts == 0


def test_only_people_who_may_hand_over_this_manifest_are_accepted(chain):
    """A viewer, a member limited to another site, and a member without a code are refused."""
    w = chain
    m = at_status(w, Status.SEALED, site=w.alpha_hcm)
    services.set_handover_code(w.bob, w.alpha, PASSWORD)  # bob works at the Hà Nội site only
    assert [signer.user for signer in services.handover_signers(m)] == [w.alice]
    for person in (w.bob, w.vera, w.dan, w.zoe):
        with pytest.raises(TransitionError, match="may not hand over") as refused:
            pickup(w, m, person, w.code)
        assert refused.value.field == "handover_by"


@pytest.mark.parametrize("persona", ["vera", "fred", "dan", "zoe", "central_official"])
def test_only_the_generators_staff_hold_a_code(chain, persona):
    w = chain
    with pytest.raises(PermissionDenied):
        services.set_handover_code(getattr(w, persona), w.alpha, PASSWORD)
    assert AuditEvent.objects.filter(chain=f"organisation:{w.alpha.pk}", action="handover_code.set").count() == 1


def test_setting_a_code_needs_the_password(chain):
    w = chain
    with pytest.raises(TransitionError, match="password") as refused:
        services.set_handover_code(w.bob, w.alpha, "wrong")
    assert refused.value.field == "password"
    assert not HandoverCode.objects.filter(membership__user=w.bob).exists()


@pytest.mark.django_db(transaction=True)
def test_setting_a_code_while_a_member_changes_keeps_the_organisation_chain_whole(chain):
    """Both append to "organisation:<id>": the chain's head row makes the second writer wait for the first."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (concurrent connections)")
    w = chain
    membership = Membership.objects.get(user=w.bob, organisation=w.alpha)
    rotated, errors = threading.Event(), []

    def rotate():
        try:
            with transaction.atomic():
                services.set_handover_code(w.alice, w.alpha, PASSWORD)
                rotated.set()
                time.sleep(0.5)  # commit late: the member change runs meanwhile
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(("rotate", exc))
            rotated.set()
        finally:
            connection.close()

    def change_member():
        try:
            rotated.wait(5)
            with translation.override("en"):
                account_services.update_membership(membership=membership, actor=w.alice, role=Membership.Role.ADMIN, sites=[])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(("member", exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=rotate), threading.Thread(target=change_member)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert errors == []
    chain_name = f"organisation:{w.alpha.pk}"
    assert list(AuditEvent.objects.filter(chain=chain_name).values_list("seq", flat=True).order_by("seq")) == [1, 2, 3]
    assert verify_chains([chain_name]) == (3, None)
