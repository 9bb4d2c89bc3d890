"""Building manifests at any status through the services, for the transition tests."""

from django.utils import timezone

from accounts.models import AuditEvent
from manifests import services
from manifests.models import Status
from tests.factories import PASSWORD

ALL_STATUSES = list(Status)
PERSONAS = ["alice", "bob", "vera", "fred", "dan", "zoe", "hanoi_official", "central_official", "admin", "nobody"]




def quantities(manifest):
    return {line.pk: line.quantity_kg for line in manifest.lines.all()}


def received_as_declared(manifest):
    return {line.pk: {"received_quantity_kg": line.quantity_kg} for line in manifest.lines.all()}


def treatment(w, manifest, method=None, on=None):
    on = on or timezone.localdate()
    return {line.pk: {"treatment_method": method or w.incineration, "treated_on": on} for line in manifest.lines.filter(rejected=False)}


def at_status(w, status, **draft_kwargs):
    """A manifest of Alpha (Hà Nội site) to Omega, walked through the services up to `status`."""
    m = w.draft(**draft_kwargs)
    if status == Status.DRAFT:
        return m
    if status == Status.CANCELLED:
        return services.cancel(w.alice, m, "Kế hoạch thay đổi")
    if status == Status.SEALED:
        return services.seal(w.alice, m)
    m = services.sign(w.alice, m, PASSWORD)
    if status == Status.READY:
        return m
    m = services.pickup(w.dan, m, vehicle=w.truck, quantities=quantities(m))
    if status == Status.IN_TRANSIT:
        return m
    m = services.deliver(w.dan, m)
    if status == Status.DELIVERED:
        return m
    if status == Status.REJECTED:
        return services.receive(w.fred, m, password=PASSWORD, lines={}, refuse_reason="Bao bì rò rỉ")
    m = services.receive(w.fred, m, password=PASSWORD, lines=received_as_declared(m))
    if status == Status.RECEIVED:
        return m
    m = services.treat(w.fred, m, password=PASSWORD, lines=treatment(w, m))
    assert m.status == Status.COMPLETED == status
    return m


def events(manifest):
    return list(AuditEvent.objects.filter(chain=manifest.chain).values_list("action", flat=True))


def first_line(manifest):
    return manifest.lines.order_by("position").first()


# --- the transitions, each called with valid input -----------------------------------------------------


def _update_draft(w, actor, m):
    return services.update_draft(
        actor,
        m,
        generator_site=m.generator_site,
        facility_site=w.omega_site,
        permit=w.permit,
        transporter=w.omega,
        planned_pickup_date=m.planned_pickup_date,
        lines=[w.line(quantity="120.00")],
        note="Sửa số lượng",
    )


ACTIONS = {
    "update_draft": _update_draft,
    "seal": lambda w, actor, m: services.seal(actor, m),
    "sign": lambda w, actor, m: services.sign(actor, m, PASSWORD),
    "cancel": lambda w, actor, m: services.cancel(actor, m, "Kế hoạch thay đổi"),
    "pickup": lambda w, actor, m: services.pickup(actor, m, vehicle=w.truck, quantities=quantities(m), handover_by=w.alice, handover_code=w.code),
    "deliver": lambda w, actor, m: services.deliver(actor, m),
    "receive": lambda w, actor, m: services.receive(actor, m, password=PASSWORD, lines=received_as_declared(m)),
    "treat": lambda w, actor, m: services.treat(actor, m, password=PASSWORD, lines=treatment(w, m)),
    "request_revision": lambda w, actor, m: services.request_revision(
        actor, m, changes={first_line(m).pk: {"received_quantity_kg": "95"}}, comment="Cân lại"
    ),
}
