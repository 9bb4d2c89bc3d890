"""The rollups equal a GROUP BY over the raw rows: after a full rebuild, and when kept by the task after each
transition — delivered twice, out of order, for follow-ups, cancelled and rejected manifests."""

from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection

from manifests import services
from manifests.models import FollowUp, Manifest, Status
from stats import rollups
from stats.models import FacilityYear, GeneratorYear, ManifestMonth, WasteMonth
from tests.factories import PASSWORD
from tests.manifests.lifecycle import at_status, quantities, received_as_declared, treatment

pytestmark = pytest.mark.django_db
ZERO = Decimal("0")


def raw_waste_month():
    """WasteMonth recomputed independently: plain SQL over the raw tables, grouped here."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT m.province_id, m.generator_signed_at, l.waste_code_id, l.treatment_method_id, l.physical_state,
                   m.origin_id, m.origin_kind, m.picked_up_at, m.received_at, l.quantity_kg, l.pickup_quantity_kg,
                   l.received_quantity_kg, l.rejected, l.treated_on, m.id
            FROM manifests_manifestline l JOIN manifests_manifest m ON m.id = l.manifest_id
            WHERE m.status IN ('ready_for_pickup', 'in_transit', 'delivered', 'received', 'completed', 'rejected')
            """
        )
        rows = cursor.fetchall()
    out = defaultdict(lambda: [ZERO, ZERO, ZERO, ZERO, set()])
    for province, signed, code, method, state, origin, kind, picked, received, qty, pickup, got, rejected, treated, mid in rows:
        if isinstance(signed, str):  # SQLite
            from django.utils.dateparse import parse_datetime

            signed = parse_datetime(signed)
        local = signed.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
        row = out[(province, local.year, local.month, code, method, state)]
        qty, pickup, got = (Decimal(str(v)) if v is not None else None for v in (qty, pickup, got))
        row[0] += qty if origin is None else ZERO
        row[1] += (pickup if pickup is not None else qty) if picked else ZERO
        accepted = received is not None and not rejected and kind != "return"
        row[2] += (got or ZERO) if accepted else ZERO
        row[3] += (got or ZERO) if accepted and treated else ZERO
        row[4].add(mid)
    return {key: (a, b, c, d, len(ms)) for key, (a, b, c, d, ms) in out.items()}


def stored_waste_month():
    return {
        (r.province_id, r.year, r.month, r.waste_code_id, r.method_id, r.physical_state): (
            r.declared_kg, r.transported_kg, r.received_kg, r.treated_kg, r.manifests
        )
        for r in WasteMonth.objects.all()
    }


def assorted(w):
    """One manifest at each counted end state, plus a cancelled one, a refused one and its redirect."""
    at_status(w, Status.COMPLETED)
    at_status(w, Status.IN_TRANSIT)
    signed = at_status(w, Status.READY)
    services.cancel(w.alice, signed, "Kế hoạch thay đổi")
    at_status(w, Status.CANCELLED)
    refused = at_status(w, Status.REJECTED)
    onward = services.create_follow_up(
        w.alice, refused, kind=FollowUp.REDIRECT, facility_site=w.sigma_site, permit=w.sigma_permit, planned_method=w.recycling, password=PASSWORD
    )
    onward = services.pickup(w.dan, onward, vehicle=w.truck, quantities=quantities(onward))
    onward = services.deliver(w.dan, onward)
    onward = services.receive(w.fred_sigma, onward, password=PASSWORD, lines=received_as_declared(onward))
    services.treat(w.fred_sigma, onward, password=PASSWORD, lines=treatment(w, onward, method=w.recycling))
    return refused, onward


@pytest.fixture
def world_with_sigma_staff(sigma):
    from accounts.models import Membership
    from tests import factories

    w = sigma
    w.fred_sigma = factories.UserFactory(username="fred_sigma")
    factories.MembershipFactory(user=w.fred_sigma, organisation=w.sigma, role=Membership.Role.MEMBER)
    return w


def test_a_rebuild_equals_the_raw_group_by(world_with_sigma_staff):
    w = world_with_sigma_staff
    refused, onward = assorted(w)
    rollups.rebuild()
    assert stored_waste_month() == raw_waste_month()
    assert rollups.differences() == {}
    # The waste of the refused load is declared once (by the original), received and treated once (the redirect).
    [month] = ManifestMonth.objects.all()
    originals = Manifest.objects.filter(status__in=rollups.COUNTED, origin__isnull=True)
    assert month.declared_kg == sum(m.declared_kg for m in originals)
    assert month.manifests == 4 and month.refused == 1 and month.follow_ups == 1 and month.completed == 2
    assert month.treated_kg == Decimal("140.50") * 2
    # A cancelled manifest counts nowhere; the in-transit one is declared and transported, not received.
    assert month.transported_kg == Decimal("140.50") * 4  # completed, in transit, refused, the redirect; not the cancelled
    assert sum(row.received_kg for row in FacilityYear.objects.filter(permit=w.sigma_permit)) == Decimal("140.50")
    assert FacilityYear.objects.get(permit=w.permit, method=None).manifests == 1  # the refused one arrived (untreated)


def test_the_task_after_each_transition_keeps_the_rollups(world_with_sigma_staff, django_capture_on_commit_callbacks):
    w = world_with_sigma_staff
    with django_capture_on_commit_callbacks(execute=True):
        assorted(w)
    assert rollups.differences() == {}
    assert stored_waste_month() == raw_waste_month()


def test_a_task_delivered_twice_and_out_of_order_changes_nothing(chain, django_capture_on_commit_callbacks):
    w = chain
    with django_capture_on_commit_callbacks() as callbacks:
        m = at_status(w, Status.COMPLETED)
    recomputes = [c for c in callbacks if "recompute" in getattr(c, "__qualname__", "") or "enqueue" in getattr(c, "__qualname__", "")]
    assert len(recomputes) >= 4  # sign, pickup, deliver, receive, treat
    for callback in reversed(recomputes):  # the last state's task first, then the stale ones
        callback()
    for callback in recomputes:  # and every one again
        callback()
    assert rollups.differences() == {}
    assert WasteMonth.objects.filter(method=w.incineration).count() == 2
    assert GeneratorYear.objects.get(site=m.generator_site).treated_kg == Decimal("140.50")


def test_a_revised_treatment_method_leaves_no_stale_row(chain, django_capture_on_commit_callbacks):
    w = chain
    with django_capture_on_commit_callbacks(execute=True):
        m = at_status(w, Status.COMPLETED, lines=[w.line()])
        line = m.lines.get()
        revision = services.request_revision(w.fred, m, changes={line.pk: {"treatment_method": w.recycling}}, comment="Ghi nhầm phương pháp")
        services.decide_revision(w.alice, revision, approve=True)
    assert list(WasteMonth.objects.values_list("method", flat=True)) == [w.recycling.pk]
    assert rollups.differences() == {}


def test_check_rollups_reports_a_difference_and_fails(chain, capsys):
    w = chain
    at_status(w, Status.COMPLETED)
    rollups.rebuild()
    call_command("check_rollups")
    assert "agree" in capsys.readouterr().out
    WasteMonth.objects.filter(waste_code=w.oil).update(treated_kg=1)
    with pytest.raises(Exception, match="waste_month"):
        call_command("check_rollups")
    assert "stored" in capsys.readouterr().out
    call_command("rebuild_rollups")
    call_command("check_rollups")


def test_a_return_is_transported_but_never_received_or_treated(chain, django_capture_on_commit_callbacks):
    w = chain
    with django_capture_on_commit_callbacks(execute=True):
        m = at_status(w, Status.DELIVERED)
        first, second = m.lines.order_by("position")
        lines = received_as_declared(m)
        lines[second.pk] = {"rejected": True, "rejection_reason": "Bóng đèn vỡ"}
        m = services.receive(w.fred, m, password=PASSWORD, lines=lines)
        back = services.create_follow_up(w.alice, m, kind=FollowUp.RETURN, password=PASSWORD)
        back = services.pickup(w.dan, back, vehicle=w.truck, quantities=quantities(back))
        back = services.deliver(w.dan, back)
        services.receive(w.alice, back, password=PASSWORD, lines=received_as_declared(back))
    lamps = WasteMonth.objects.get(waste_code=w.lamps)
    assert (lamps.declared_kg, lamps.transported_kg, lamps.received_kg, lamps.treated_kg) == (Decimal("40.50"), Decimal("81.00"), 0, 0)
    assert not FacilityYear.objects.filter(permit__isnull=True).exists()
    assert rollups.differences() == {}
