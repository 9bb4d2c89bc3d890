"""The generator's company signature code, typed on the driver's phone when nobody signed ahead: decided on the
locked manifest, counted when wrong, and rotated without disturbing the organisation's audit chain."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import translation

from accounts import services as account_services
from accounts.audit import verify_chains
from accounts.models import AuditEvent, Membership
from manifests import services
from manifests.errors import TransitionError
from manifests.models import Manifest, SignatureCode, Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def pickup(w, manifest, code=None):
    quantities = {line.pk: line.quantity_kg for line in manifest.lines.all()}
    return services.pickup(w.dan, manifest, vehicle=w.truck, quantities=quantities, signature_code=code)


def test_a_manifest_sealed_after_the_page_was_read_still_needs_the_generators_code(chain):
    w = chain
    page_read = w.draft()  # the driver's page was built from this draft
    services.seal(w.alice, Manifest.objects.get(pk=page_read.pk))
    with pytest.raises(TransitionError) as refused:
        pickup(w, page_read)
    assert refused.value.field == "signature_code"
    assert Manifest.objects.get(pk=page_read.pk).status == Status.SEALED
    picked = pickup(w, page_read, w.code)
    assert picked.status == Status.IN_TRANSIT and picked.generator_signature_method == "company_code"


def test_a_wrong_code_is_counted_and_a_missing_one_is_not(chain):
    w = chain
    manifest = services.seal(w.alice, w.draft())
    with pytest.raises(TransitionError, match="not correct"):
        pickup(w, manifest, "000000" if w.code != "000000" else "111111")
    assert SignatureCode.objects.get(organisation=w.alpha).failed_attempts == 1
    with pytest.raises(TransitionError, match="must type"):
        pickup(w, manifest, "")
    assert SignatureCode.objects.get(organisation=w.alpha).failed_attempts == 1
    assert Manifest.objects.get(pk=manifest.pk).status == Status.SEALED


@pytest.mark.django_db(transaction=True)
def test_rotating_the_code_while_a_member_changes_keeps_the_organisation_chain_whole(chain):
    """Both append to "organisation:<id>": the chain's head row makes the second writer wait for the first."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (concurrent connections)")
    w = chain
    membership = Membership.objects.get(user=w.bob, organisation=w.alpha)
    rotated, errors = threading.Event(), []

    def rotate():
        try:
            with transaction.atomic():
                services.rotate_signature_code(w.alice, w.alpha)
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
