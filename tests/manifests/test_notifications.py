"""Who is notified of what, and e-mails that leave only once the transition's transaction has committed."""

import pytest
from django.db import transaction
from django.utils import timezone

from manifests import selectors, services
from manifests.models import Notification, Status
from manifests.tasks import send_notification_emails
from tests import factories
from tests.factories import PASSWORD

from .lifecycle import (
    ACTIONS,
    at_status,
    first_line,
    quantities,
    received_as_declared,
)

Kind = Notification.Kind


@pytest.fixture(autouse=True)
def eager_celery(settings):
    """Tasks run in-process (the Celery app reads this setting through Django's settings), also in CI."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def officials(chain):
    """A provincial official for HCM (the facility's province) and one for a province with no party."""
    w = chain
    w.hcm_official = factories.JurisdictionFactory(user=factories.UserFactory(username="hcm_official"), province=w.hcm).user
    danang = factories.ProvinceFactory(code=48, name="Thành phố Đà Nẵng")
    w.danang_official = factories.JurisdictionFactory(user=factories.UserFactory(username="dn_official"), province=danang).user
    return w


def notified(manifest, kind):
    return sorted(Notification.objects.filter(manifest=manifest, kind=kind).values_list("user__username", flat=True))


def discrepancy_receipt(m):
    lines = received_as_declared(m)
    lines[first_line(m).pk].update(received_quantity_kg=first_line(m).quantity_kg / 2, comment="Thiếu một nửa")
    return lines


ALPHA = ["alice", "bob", "vera"]  # Alpha's admin, member and viewer follow its manifests
OFFICIALS = ["hcm_official", "hn_official"]  # generator in Hà Nội, facility in HCM; not Đà Nẵng, not central

RECIPIENT_TABLE = [
    # (status before, transition, kind, who hears about it)
    (Status.DRAFT, "seal", Kind.AWAITING_SIGNATURE, ALPHA),
    (Status.DRAFT, "sign", Kind.READY, ["dan", "fred"]),  # the transporter's drivers too
    (Status.READY, "pickup", Kind.PICKED_UP, [*ALPHA, "fred"]),  # the facility, not its driver
    (Status.DELIVERED, "discrepancy", Kind.DISCREPANCY, sorted([*ALPHA, "fred", *OFFICIALS])),
    (Status.DELIVERED, "refuse", Kind.REJECTED, sorted([*ALPHA, "fred", *OFFICIALS])),
    (Status.RECEIVED, "treat", Kind.COMPLETED, [*ALPHA, "fred"]),
    (Status.READY, "cancel", Kind.CANCELLED, ["fred"]),
    (Status.COMPLETED, "request_revision", Kind.REVISION_REQUESTED, ["fred"]),
]

EXTRA_ACTIONS = {
    "discrepancy": lambda w, actor, m: services.receive(actor, m, password=PASSWORD, lines=discrepancy_receipt(m)),
    "refuse": lambda w, actor, m: services.receive(actor, m, password=PASSWORD, lines={}, refuse_reason="Rò rỉ"),
}
ACTORS = {"seal": "alice", "sign": "alice", "pickup": "dan", "discrepancy": "fred", "refuse": "fred", "treat": "fred", "cancel": "alice", "request_revision": "alice"}


@pytest.mark.django_db
@pytest.mark.parametrize("status, action, kind, expected", [pytest.param(*row, id=row[1]) for row in RECIPIENT_TABLE])
def test_recipients_per_transition(officials, status, action, kind, expected):
    w = officials
    m = at_status(w, status)
    run = EXTRA_ACTIONS.get(action) or ACTIONS[action]
    run(w, getattr(w, ACTORS[action]), m)
    assert notified(m, kind) == sorted(expected)
    # Nobody outside the parties and the two provinces hears of it.
    assert not Notification.objects.filter(user__in=[w.zoe, w.nobody, w.central_official, w.danang_official, w.admin]).exists()


@pytest.mark.django_db
def test_a_decided_revision_is_told_to_every_party(officials):
    w = officials
    m = at_status(w, Status.COMPLETED)
    revision = ACTIONS["request_revision"](w, w.alice, m)
    services.decide_revision(w.fred, revision, approve=False, comment="Không khớp phiếu cân")
    assert notified(m, Kind.REVISION_DECIDED) == sorted([*ALPHA, "fred"])


@pytest.mark.django_db
def test_cancelling_a_draft_tells_nobody(chain):
    w = chain
    m = services.cancel(w.alice, w.draft(), "Nhập nhầm")
    assert m.status == Status.CANCELLED
    assert not Notification.objects.filter(manifest=m).exists()


@pytest.mark.django_db
def test_inactive_users_are_not_notified(chain):
    w = chain
    w.vera.is_active = False
    w.vera.save()
    m = services.seal(w.alice, w.draft())
    assert notified(m, Kind.AWAITING_SIGNATURE) == ["alice", "bob"]


@pytest.mark.django_db
def test_a_member_limited_to_other_sites_is_not_notified(chain):
    w = chain
    m = services.seal(w.alice, w.draft(w.alice, site=w.alpha_hcm))
    assert not selectors.visible_manifests(w.bob).filter(pk=m.pk).exists()
    assert "bob" not in notified(m, Kind.AWAITING_SIGNATURE)


# --- e-mails only after commit --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_emails_go_out_after_the_transition_commits(chain, mailoutbox):
    w = chain
    m = w.draft()
    assert mailoutbox == []
    m = services.sign(w.alice, m, PASSWORD)
    # The service has returned: its transaction committed and the on-commit hook ran the (eager) task.
    assert sorted(address for mail in mailoutbox for address in mail.to) == ["dan@example.vn", "fred@example.vn"]
    assert all(m.number in mail.subject for mail in mailoutbox)
    assert not Notification.objects.filter(manifest=m, emailed_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transition_sends_nothing_and_keeps_no_notification(chain, mailoutbox):
    w = chain
    m = w.draft()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.sign(w.alice, m, PASSWORD)
        # Inside the transaction the notifications exist, but no e-mail has left.
        assert Notification.objects.filter(manifest=m).count() == 2
        assert mailoutbox == []
        raise RuntimeError("the request fails after the transition")
    assert mailoutbox == []
    assert not Notification.objects.exists()
    m.refresh_from_db()
    assert m.status == Status.DRAFT


@pytest.mark.django_db
def test_the_email_task_is_registered_on_commit_and_not_run_before(chain, mailoutbox, django_capture_on_commit_callbacks):
    w = chain
    m = w.draft()
    with django_capture_on_commit_callbacks() as callbacks:
        services.sign(w.alice, m, PASSWORD)
    # One e-mail callback (the statistics register their own recomputation on commit too).
    [email] = [callback for callback in callbacks if callback.__qualname__.startswith("notify.")]
    assert mailoutbox == []
    assert Notification.objects.filter(manifest=m, emailed_at__isnull=True).count() == 2
    email()  # what the commit would do
    assert len(mailoutbox) == 2
    assert not Notification.objects.filter(manifest=m, emailed_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_a_user_without_email_keeps_the_portal_notification(chain, mailoutbox):
    w = chain
    w.dan.email = ""
    w.dan.save()
    m = services.sign(w.alice, w.draft(), PASSWORD)
    assert [mail.to for mail in mailoutbox] == [["fred@example.vn"]]
    dans = Notification.objects.get(manifest=m, user=w.dan)
    assert dans.kind == Kind.READY and dans.emailed_at is None and dans.read_at is None


@pytest.mark.django_db
def test_the_email_task_is_safe_to_run_twice(chain, mailoutbox):
    w = chain
    m = at_status(w, Status.DRAFT)
    m = services.seal(w.alice, m)
    ids = list(Notification.objects.filter(manifest=m).values_list("pk", flat=True))
    assert send_notification_emails.apply(args=[ids]).get() == 3
    assert send_notification_emails.apply(args=[ids]).get() == 0
    assert len(mailoutbox) == 3
    assert all(n.emailed_at <= timezone.now() for n in Notification.objects.filter(pk__in=ids))


@pytest.mark.django_db(transaction=True)
def test_a_pickup_notifies_once_even_with_a_replayed_key(chain, mailoutbox):
    w = chain
    m = services.sign(w.alice, w.draft(), PASSWORD)
    mailoutbox.clear()
    q = quantities(m)
    services.pickup(w.dan, m, vehicle=w.truck, quantities=q, idempotency_key="k1")
    with pytest.raises(services.AlreadyDone):
        services.pickup(w.dan, m, vehicle=w.truck, quantities=q, idempotency_key="k1")
    assert notified(m, Kind.PICKED_UP) == sorted([*ALPHA, "fred"])
    assert len(mailoutbox) == 4


# --- finding 6: notices follow the CURRENT membership ---------------------------------------------------


@pytest.mark.django_db
def test_a_removed_member_no_longer_sees_the_organisations_notifications(chain, client):
    """Finding 6: vera heard of Alpha's manifest as Alpha's viewer; once removed from Alpha, the notice leaves her
    list, her badge, her "mark all read", and any e-mail not yet sent."""
    from django.urls import reverse

    from accounts import services as account_services
    from accounts.models import Membership

    w = chain
    m = services.seal(w.alice, w.draft())
    notice = Notification.objects.get(manifest=m, user=w.vera)
    assert notice.organisation == w.alpha
    client.force_login(w.vera)
    page = client.get(reverse("manifests:notifications"))
    assert m.number in page.content.decode() and page.context["unread"] == 1
    account_services.remove_membership(membership=Membership.objects.get(user=w.vera, organisation=w.alpha), actor=w.alice)
    page = client.get(reverse("manifests:notifications"))
    assert m.number not in page.content.decode()
    assert page.context["unread"] == 0 and list(page.context["page"].items) == []
    assert selectors.notifications_for(w.vera).count() == 0
    client.post(reverse("manifests:notifications_read"))
    notice.refresh_from_db()
    assert notice.read_at is None  # not hers to mark any more
    # Alice, still a member, keeps hers.
    assert selectors.notifications_for(w.alice).filter(manifest=m).exists()


@pytest.mark.django_db
def test_a_deactivated_organisation_hides_its_notifications(chain):
    w = chain
    m = services.seal(w.alice, w.draft())
    assert selectors.notifications_for(w.bob).filter(manifest=m).exists()
    w.alpha.active = False
    w.alpha.save()
    assert not selectors.notifications_for(w.bob).exists()


@pytest.mark.django_db
def test_an_official_without_a_jurisdiction_any_more_sees_no_notices(officials):
    w = officials
    m = at_status(w, Status.DELIVERED)
    EXTRA_ACTIONS["refuse"](w, w.fred, m)
    assert selectors.notifications_for(w.hcm_official).filter(manifest=m, kind=Kind.REJECTED).exists()
    assert Notification.objects.get(manifest=m, user=w.hcm_official, kind=Kind.REJECTED).organisation is None
    w.hcm_official.jurisdiction.delete()
    assert not selectors.notifications_for(w.hcm_official).exists()


@pytest.mark.django_db
def test_no_email_for_a_notice_whose_reader_has_left(chain, mailoutbox):
    from accounts.models import Membership

    w = chain
    m = services.seal(w.alice, w.draft())
    ids = list(Notification.objects.filter(manifest=m).values_list("pk", flat=True))
    Membership.objects.filter(user=w.vera, organisation=w.alpha).delete()
    send_notification_emails.apply(args=[ids]).get()
    assert sorted(address for mail in mailoutbox for address in mail.to) == ["alice@example.vn", "bob@example.vn"]
