"""The generator's company signature code typed on the driver's phone: counted when wrong, locked after too many, stored hashed, needed only while the generator has not signed."""


import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from accounts.models import AuditEvent
from manifests import services
from manifests.models import SignatureCode, Status
from tests.manifests.lifecycle import at_status, quantities

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English whatever the Vietnamese catalog holds."""
    with translation.override("en"):
        yield


# --- the generator's company signature code, typed on the driver's phone --------------------------------


def wrong(w):
    return "000000" if w.code != "000000" else "111111"


def pickup_with_code(w, m, code):
    return services.pickup(w.dan, m, vehicle=w.truck, quantities=quantities(m), signature_code=code)


@pytest.mark.django_db(transaction=True)
def test_wrong_codes_are_counted_and_lock_the_code_even_for_the_right_one(chain, settings, monkeypatch):
    """transaction=True: the failure count is read back from the database after the failed transitions."""
    from manifests.tasks import send_notification_emails

    monkeypatch.setattr(send_notification_emails, "delay", lambda ids: None)  # e-mails are not the point here
    settings.HWMS_SIGNATURE_CODE_MAX_ATTEMPTS = 3
    w = chain
    m = at_status(w, Status.SEALED)
    for attempt in (1, 2):
        with pytest.raises(services.TransitionError, match="not correct") as excinfo:
            pickup_with_code(w, m, wrong(w))
        assert excinfo.value.field == "signature_code"
        assert SignatureCode.objects.get(organisation=w.alpha).failed_attempts == attempt
    with pytest.raises(services.TransitionError, match="not correct"):
        pickup_with_code(w, m, wrong(w))
    record = SignatureCode.objects.get(organisation=w.alpha)
    assert record.locked_until > timezone.now()
    with pytest.raises(services.TransitionError, match="locked until"):
        pickup_with_code(w, m, w.code)
    m.refresh_from_db()
    assert m.status == Status.SEALED and m.generator_signed_at is None
    # The admin rotates the code: the lock and the count are gone, the old code is dead, the new one works.
    new_code = services.rotate_signature_code(w.alice, w.alpha)
    record.refresh_from_db()
    assert record.failed_attempts == 0 and record.locked_until is None
    if new_code != w.code:
        with pytest.raises(services.TransitionError, match="not correct"):
            pickup_with_code(w, m, w.code)
    m = pickup_with_code(w, m, new_code)
    assert m.status == Status.IN_TRANSIT and m.generator_signature_method == "company_code"
    signed = AuditEvent.objects.get(chain=m.chain, action="signed")
    assert signed.organisation == w.alpha and signed.role == "company_code"


def test_a_right_code_resets_the_count(chain):
    w = chain
    m = at_status(w, Status.SEALED)
    with pytest.raises(services.TransitionError):
        pickup_with_code(w, m, wrong(w))
    assert SignatureCode.objects.get(organisation=w.alpha).failed_attempts == 1
    pickup_with_code(w, m, w.code)
    assert SignatureCode.objects.get(organisation=w.alpha).failed_attempts == 0


def test_the_code_is_stored_hashed(chain):
    w = chain
    record = SignatureCode.objects.get(organisation=w.alpha)
    assert w.code not in record.code_hash and len(w.code) == 6


def test_a_code_is_not_needed_once_the_generator_signed(chain):
    w = chain
    m = at_status(w, Status.READY)
    m = pickup_with_code(w, m, wrong(w))
    assert m.status == Status.IN_TRANSIT and m.generator_signature_method == "password"
    assert SignatureCode.objects.get(organisation=w.alpha).failed_attempts == 0


def test_a_generator_without_a_code_cannot_be_signed_on_the_phone(chain):
    w = chain
    SignatureCode.objects.filter(organisation=w.alpha).delete()
    m = at_status(w, Status.SEALED)
    with pytest.raises(services.TransitionError, match="no signature code"):
        pickup_with_code(w, m, w.code)


@pytest.mark.parametrize("persona", ["bob", "vera", "fred", "zoe", "central_official"])
def test_only_the_organisation_admin_rotates_the_code(chain, persona):
    w = chain
    with pytest.raises(PermissionDenied):
        services.rotate_signature_code(getattr(w, persona), w.alpha)
    assert AuditEvent.objects.filter(chain=f"organisation:{w.alpha.pk}", action="signature_code.rotated").count() == 1
