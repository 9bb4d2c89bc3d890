"""The demo command of `make run`: refuses production, loads every role, a manifest per step, idempotent."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.audit import verify_chains
from accounts.models import Jurisdiction, Membership, User
from manifests.models import Manifest, Status


@pytest.fixture
def reference_data(db):
    call_command("load_reference_data", stdout=io.StringIO())


def test_it_refuses_to_run_with_debug_off(reference_data, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("load_demo_data")
    assert not User.objects.exists()


def test_it_loads_every_role_and_a_manifest_per_step_once(reference_data, settings, capsys):
    settings.DEBUG = True
    call_command("load_demo_data")
    call_command("load_demo_data")
    output = capsys.readouterr().out
    for username in ["dn_quantri", "dn_nhanvien", "dn_xem", "laixe", "xuly", "canbo_hanoi", "canbo_tw", "quantri"]:
        assert username in output
        assert User.objects.get(username=username).check_password(settings.HWMS_DEMO_PASSWORD)
    assert set(Membership.objects.values_list("role", flat=True)) == {"admin", "member", "viewer", "driver"}
    assert Jurisdiction.objects.filter(province__isnull=True).count() == 1
    statuses = sorted(Manifest.objects.values_list("status", flat=True))
    assert statuses == sorted([Status.DRAFT, Status.SEALED, Status.READY, Status.IN_TRANSIT, Status.RECEIVED, Status.COMPLETED])
    assert Manifest.objects.filter(has_discrepancy=True).count() == 1
    assert verify_chains()[1] is None
