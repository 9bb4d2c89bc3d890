"""The status machine, transition by transition: who may do it, from which status, and its preconditions.

Two tables drive most of this file:
- STATUS_TABLE: each transition tried from each of the nine statuses by a persona allowed to do it: it
  succeeds exactly at the statuses it is defined for and is refused with TransitionError elsewhere;
- PERSONA_TABLE: each transition tried at a status where it is possible by each persona of the `world`
  fixture: the parties' acting roles succeed, everybody else gets PermissionDenied.
A refusal writes nothing: no status change, no audit event."""


import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from accounts.models import AuditEvent
from manifests import services
from manifests.models import Revision, Status
from tests.factories import PASSWORD
from tests.manifests.lifecycle import (
    ACTIONS,
    ALL_STATUSES,
    PERSONAS,
    at_status,
    events,
    received_as_declared,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English whatever the Vietnamese catalog holds."""
    with translation.override("en"):
        yield


ALLOWED_AT = {
    "update_draft": {Status.DRAFT},
    "seal": {Status.DRAFT},
    "sign": {Status.DRAFT, Status.SEALED},
    "cancel": {Status.DRAFT, Status.SEALED, Status.READY},
    "pickup": {Status.SEALED, Status.READY},
    "deliver": {Status.IN_TRANSIT},
    "receive": {Status.IN_TRANSIT, Status.DELIVERED},
    "treat": {Status.RECEIVED},
    "request_revision": {Status.COMPLETED},
}
# (status after success, audit action written)
OUTCOME = {
    "update_draft": (Status.DRAFT, "draft.saved"),
    "seal": (Status.SEALED, "sealed"),
    "sign": (Status.READY, "signed"),
    "cancel": (Status.CANCELLED, "cancelled"),
    "pickup": (Status.IN_TRANSIT, "picked_up"),
    "deliver": (Status.DELIVERED, "delivered"),
    "receive": (Status.RECEIVED, "received"),
    "treat": (Status.COMPLETED, "completed"),
    "request_revision": (Status.COMPLETED, "revision.requested"),
}
ACTOR = {
    "update_draft": "alice",
    "seal": "alice",
    "sign": "alice",
    "cancel": "alice",
    "pickup": "dan",
    "deliver": "dan",
    "receive": "fred",
    "treat": "fred",
    "request_revision": "alice",
}

STATUS_TABLE = [
    pytest.param(action, status, status in ALLOWED_AT[action], id=f"{action}-from-{status.value}")
    for action in ACTIONS
    for status in ALL_STATUSES
]


@pytest.mark.parametrize("action, status, allowed", STATUS_TABLE)
def test_status_table(chain, action, status, allowed):
    w = chain
    m = at_status(w, status)
    before = events(m)
    actor = getattr(w, ACTOR[action])
    if allowed:
        ACTIONS[action](w, actor, m)
        m.refresh_from_db()
        expected_status, expected_event = OUTCOME[action]
        assert m.status == expected_status
        assert events(m)[-1] == expected_event
    else:
        with pytest.raises(services.TransitionError) as excinfo:
            ACTIONS[action](w, actor, m)
        assert "no longer possible" in excinfo.value.message
        m.refresh_from_db()
        assert m.status == status
        assert events(m) == before


# At which status each transition is tried by every persona, and who may do it there.
PERSONA_STATUS = {
    "update_draft": Status.DRAFT,
    "seal": Status.DRAFT,
    "sign": Status.SEALED,
    "cancel": Status.READY,
    "pickup": Status.READY,
    "deliver": Status.IN_TRANSIT,
    "receive": Status.DELIVERED,
    "treat": Status.RECEIVED,
    "request_revision": Status.COMPLETED,
}
ALLOWED_PERSONAS = {
    # The generator's admin and members (bob is limited to the Hà Nội site, where these manifests are).
    "update_draft": {"alice", "bob"},
    "seal": {"alice", "bob"},
    "sign": {"alice", "bob"},
    "cancel": {"alice", "bob"},
    # The transporter's drivers, members and admin.
    "pickup": {"dan", "fred"},
    "deliver": {"dan", "fred"},
    # The facility's admin and members, not its drivers.
    "receive": {"fred"},
    "treat": {"fred"},
    # Any party's admin or member.
    "request_revision": {"alice", "bob", "fred"},
}

PERSONA_TABLE = [
    pytest.param(action, persona, persona in ALLOWED_PERSONAS[action], id=f"{action}-by-{persona}")
    for action in ACTIONS
    for persona in PERSONAS
]


@pytest.mark.parametrize("action, persona, allowed", PERSONA_TABLE)
def test_persona_table(chain, action, persona, allowed):
    w = chain
    status = PERSONA_STATUS[action]
    m = at_status(w, status)
    before = events(m)
    actor = getattr(w, persona)
    if allowed:
        ACTIONS[action](w, actor, m)
        m.refresh_from_db()
        assert m.status == OUTCOME[action][0]
        event = AuditEvent.objects.filter(chain=m.chain).last()
        assert event.action == OUTCOME[action][1] and event.actor == actor
    else:
        with pytest.raises(PermissionDenied):
            ACTIONS[action](w, actor, m)
        m.refresh_from_db()
        assert m.status == status
        assert events(m) == before


# --- decide_revision: who decides, and only while pending ----------------------------------------------

DECIDE_TABLE = [pytest.param(persona, persona == "fred", id=f"decide_revision-by-{persona}") for persona in PERSONAS]


@pytest.mark.parametrize("persona, allowed", DECIDE_TABLE)
def test_decide_revision_persona_table(chain, persona, allowed):
    """alice proposed for Alpha (which thereby approved); only Omega's staff have a decision left."""
    w = chain
    m = at_status(w, Status.COMPLETED)
    revision = ACTIONS["request_revision"](w, w.alice, m)
    actor = getattr(w, persona)
    if allowed:
        services.decide_revision(actor, revision, approve=True)
        revision.refresh_from_db()
        assert revision.state == Revision.State.APPROVED
    else:
        with pytest.raises(PermissionDenied):
            services.decide_revision(actor, revision, approve=True)
        revision.refresh_from_db()
        assert revision.state == Revision.State.PENDING


@pytest.mark.parametrize("state", ["approved", "refused"])
def test_a_decided_revision_cannot_be_decided_again(chain, state):
    w = chain
    m = at_status(w, Status.COMPLETED)
    revision = ACTIONS["request_revision"](w, w.alice, m)
    services.decide_revision(w.fred, revision, approve=state == "approved", comment="Không đúng")
    revision.refresh_from_db()
    assert revision.state == state
    for actor in (w.fred, w.alice):
        with pytest.raises(services.TransitionError, match="already been decided"):
            services.decide_revision(actor, revision, approve=True)


# --- finer points of who may act -------------------------------------------------------------------------


def test_a_member_limited_to_another_site_cannot_sign(chain):
    w = chain
    m = w.draft(w.alice, site=w.alpha_hcm)
    with pytest.raises(PermissionDenied):
        services.sign(w.bob, m, PASSWORD)
    assert services.sign(w.alice, m, PASSWORD).status == Status.READY


def test_a_member_limited_to_another_site_cannot_prepare_for_it(chain):
    w = chain
    with pytest.raises(PermissionDenied):
        w.draft(w.bob, site=w.alpha_hcm)


def test_a_wrong_password_refuses_the_signature(chain):
    w = chain
    m = w.draft()
    with pytest.raises(services.TransitionError) as excinfo:
        services.sign(w.alice, m, "not-the-password")
    assert excinfo.value.field == "password"
    m.refresh_from_db()
    assert m.status == Status.DRAFT and m.generator_signed_at is None


def test_a_facility_prepares_and_the_generator_signs(chain):
    w = chain
    m = w.draft(w.fred)
    assert m.prepared_by == w.omega and m.generator == w.alpha
    m = services.seal(w.fred, m)
    with pytest.raises(PermissionDenied):
        services.sign(w.fred, m, PASSWORD)
    m = services.sign(w.alice, m, PASSWORD)
    assert m.status == Status.READY and m.generator_signed_by == w.alice


@pytest.mark.parametrize(
    "status, fred_may_cancel",
    [(Status.DRAFT, True), (Status.SEALED, True), (Status.READY, False)],
    ids=["draft", "sealed", "ready"],
)
def test_the_preparing_facility_may_cancel_until_the_generator_signs(chain, status, fred_may_cancel):
    w = chain
    m = w.draft(w.fred)
    if status != Status.DRAFT:
        m = services.seal(w.fred, m)
    if status == Status.READY:
        m = services.sign(w.alice, m, PASSWORD)
    if fred_may_cancel:
        assert services.cancel(w.fred, m, "Sai số lượng").status == Status.CANCELLED
    else:
        with pytest.raises(PermissionDenied):
            services.cancel(w.fred, m, "Sai số lượng")
        assert services.cancel(w.alice, m, "Sai số lượng").status == Status.CANCELLED


def test_cancelling_needs_a_reason(chain):
    w = chain
    m = w.draft()
    with pytest.raises(services.TransitionError) as excinfo:
        services.cancel(w.alice, m, "   ")
    assert excinfo.value.field == "reason"


def test_the_facility_driver_may_not_receive(chain):
    w = chain
    m = at_status(w, Status.DELIVERED)
    with pytest.raises(PermissionDenied):
        services.receive(w.dan, m, password=PASSWORD, lines=received_as_declared(m))
