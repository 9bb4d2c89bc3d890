"""The access index behind every list: it holds exactly the manifests the rule lets each user read, its counters
match its rows, keyset pages return every manifest exactly once, and a list costs the same number of queries
whatever the number of rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from common import pagination
from common.pagination import Cursor, capped_count, keyset_page
from manifests import access, selectors, services
from manifests.models import AccessCount, Manifest, ManifestAccess, Status
from tests import factories
from tests.factories import PASSWORD
from tests.manifests.lifecycle import PERSONAS, at_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(chain):
    """A manifest at every status, a cancelled draft and a facility-prepared one, a limited member."""
    w = chain
    for status in Status:
        at_status(w, status)
        at_status(w, status, site=w.alpha_hcm)
    services.cancel(w.alice, w.draft(), "Nhầm")
    services.create_draft(
        w.fred, generator_site=w.zeta_site, facility_site=w.omega_site, permit=w.permit, transporter=w.omega,
        planned_pickup_date=timezone.localdate(), lines=[w.line()],
    )
    return w


def counted_rows(kind, ref, key):
    rows = ManifestAccess.objects.filter(kind=kind, ref=ref)
    flag = {value: name for name, value in access.FLAG_KEYS.items()}.get(key)
    return rows.filter(**{flag: True}).count() if flag else rows.filter(status=key).count()


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_index_reaches_exactly_what_the_rule_lets_each_user_read(many, persona):
    user = getattr(many, persona)
    indexed = set(selectors.scope_rows(user).values_list("manifest_id", flat=True))
    assert indexed == set(selectors.visible_manifests(user).values_list("pk", flat=True))


def test_a_limited_member_and_a_transporting_facility_are_reached_through_the_right_rows(many):
    w = many
    hcm_only = factories.UserFactory(username="hcm_only")
    membership = factories.MembershipFactory(user=hcm_only, organisation=w.alpha, role=Membership.Role.MEMBER)
    membership.sites.set([w.alpha_hcm])
    indexed = set(selectors.scope_rows(hcm_only).values_list("manifest_id", flat=True))
    assert indexed == set(selectors.visible_manifests(hcm_only).values_list("pk", flat=True))
    assert indexed and all(Manifest.objects.get(pk=pk).generator_site_id == w.alpha_hcm.pk for pk in indexed)


def test_the_counters_match_the_rows_after_every_transition(many):
    assert AccessCount.objects.exists()
    for counter in AccessCount.objects.all():
        assert counter.count == counted_rows(counter.kind, counter.ref, counter.key), counter
    counters_before = {(c.kind, c.ref, c.key): c.count for c in AccessCount.objects.all() if c.count}
    fields = ("manifest_id", "kind", "ref", "site_id", "other_site_id", "transports", "status", "province", "has_discrepancy", "overdue")
    rows_before = set(ManifestAccess.objects.values_list(*fields))
    access.rebuild()  # in SQL on PostgreSQL, through sync() elsewhere: the same rows either way
    assert set(ManifestAccess.objects.values_list(*fields)) == rows_before
    assert {(c.kind, c.ref, c.key): c.count for c in AccessCount.objects.all() if c.count} == counters_before


def test_the_home_counts_are_the_counters_of_the_scope(client, many):
    w = many
    for user in (w.alice, w.fred, w.hanoi_official, w.central_official, w.bob):
        counts = selectors.scope_counts(user)
        visible = selectors.visible_manifests(user)
        assert {s: counts[s] for s in Status.values} == {s: visible.filter(status=s).count() for s in Status.values}, user
        assert counts["discrepancy"] == visible.filter(has_discrepancy=True).count()


def test_keyset_pages_return_every_manifest_once_in_both_directions_even_with_equal_times(many, monkeypatch):
    w = many
    same_time = timezone.now() - timedelta(days=3)
    half = list(Manifest.objects.order_by("pk").values_list("pk", flat=True))[::2]
    Manifest.objects.filter(pk__in=half).update(created_at=same_time)
    for manifest in Manifest.objects.filter(pk__in=half):
        access.sync(manifest)
    monkeypatch.setattr(pagination, "PAGE_SIZE", 4)
    rows = selectors.scope_rows(w.central_official)
    expected = list(rows.order_by("-created_at", "-manifest_id").values_list("manifest_id", flat=True))
    seen, pages, after = [], [], None
    while True:
        page = selectors.manifest_page(rows, after=after)
        pages.append(page)
        seen += [m.pk for m in page]
        if not page.next_cursor:
            break
        after = Cursor.decode(page.next_cursor)
    assert seen == expected and len(pages) > 3
    back = []
    before = Cursor.decode(pages[-1].previous_cursor)
    while before is not None:
        page = selectors.manifest_page(rows, before=before)
        back = [m.pk for m in page] + back
        before = Cursor.decode(page.previous_cursor) if page.previous_cursor else None
    assert back + [m.pk for m in pages[-1]] == expected


@pytest.mark.parametrize("text", ["", "x", "1-", "-5", "99999999999999999999-1", "1-99999999999999999999999", None])
def test_a_malformed_cursor_is_the_first_page(text):
    assert Cursor.decode(text) is None


def test_capped_counts(many):
    rows = ManifestAccess.objects.all()
    total = rows.count()
    assert capped_count(rows, cap=total) == (total, False)
    assert capped_count(rows, cap=total - 1) == (total - 1, True)
    page = keyset_page(Manifest.objects.all(), size=1000)
    assert len(page) == Manifest.objects.count() and page.next_cursor is None


def test_a_capped_count_in_the_lists_order_counts_the_first_rows_of_that_order(many):
    rows = ManifestAccess.objects.filter(kind=ManifestAccess.Kind.COUNTRY)
    total = rows.count()
    order = ("-created_at", "-manifest_id")
    assert capped_count(rows, cap=total, order_by=order) == (total, False)
    assert capped_count(rows, cap=2, order_by=order) == (2, True)
    with CaptureQueriesContext(connection) as queries:
        capped_count(rows, cap=2, order_by=order)
    assert "ORDER BY" in queries[0]["sql"]  # the index walk newest first, stopping at the cap


def test_the_waste_code_filter_counts_in_the_lists_order(client, many):
    """A waste code matches many manifests: its capped count walks the scope newest first, as the page does."""
    client.force_login(many.alice)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("manifests:list"), {"waste_code": "16"})
    assert response.status_code == 200
    counts = [q["sql"] for q in queries if q["sql"].startswith("SELECT COUNT(*)")]
    assert counts and all("ORDER BY" in sql for sql in counts)
    expected = selectors.scope_rows(many.alice).filter(manifest__lines__waste_code__code__startswith="16").values("manifest").distinct()
    assert 0 < expected.count() and response.context["count"] == min(expected.count(), 500)


def query_count(client, user, url, params=None):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200, url
    return len(queries)


def test_each_list_costs_the_same_queries_as_its_rows_grow(client, chain):
    w = chain
    pages = [
        (w.alice, reverse("home"), None),
        (w.alice, reverse("manifests:list"), None),
        (w.alice, reverse("manifests:list"), {"status": "ready_for_pickup", "waste_code": "17", "number": "01"}),
        (w.fred, reverse("manifests:incoming"), None),
        (w.dan, reverse("manifests:driver_list"), None),
        (w.hanoi_official, reverse("manifests:list"), None),
        (w.central_official, reverse("manifests:list"), {"province": w.hanoi.pk}),
        (w.central_official, reverse("manifests:oversight", args=["discrepancies"]), None),
        (w.alice, reverse("manifests:notifications"), None),
    ]

    def make(count):
        for _ in range(count):
            m = services.sign(w.alice, w.draft(), PASSWORD)
            m = services.pickup(w.dan, m, vehicle=w.truck, quantities={line.pk: line.quantity_kg * 2 for line in m.lines.all()})
            services.receive(w.fred, m, password=PASSWORD, lines={line.pk: {"received_quantity_kg": line.quantity_kg * 2, "comment": "Thiếu"} for line in m.lines.all()})
            services.sign(w.alice, w.draft(), PASSWORD)

    def warm():
        # The first visit fills what is cached for every page (gis.choices; the unread count, after new notices).
        for user, url, params in pages:
            query_count(client, user, url, params)

    make(2)
    warm()
    few = [query_count(client, user, url, params) for user, url, params in pages]
    make(30)
    warm()
    many = [query_count(client, user, url, params) for user, url, params in pages]
    assert many == few


def test_a_draft_cancelled_before_it_was_sent_stays_private_to_its_preparer(chain):
    """Issue 11, finding 5: note, lines, cancel reason and PDF of a draft cancelled before it was ever sent are
    not for the other parties or the officials; a manifest cancelled after sealing is."""
    from accounts import policy as account_policy

    w = chain
    private = services.cancel(w.alice, w.draft(), "Nhập nhầm nhà máy")
    shared = services.cancel(w.alice, services.seal(w.alice, w.draft()), "Hoãn thu gom")
    assert private.is_private and not shared.is_private
    for outsider in (w.fred, w.dan, w.hanoi_official, w.central_official):
        assert list(selectors.visible_manifests(outsider).filter(pk__in=[private.pk, shared.pk])) == [shared]
        rows = ManifestAccess.objects.filter(account_policy.manifest_access_q(outsider), manifest__in=[private, shared])
        assert {row.manifest_id for row in rows} == {shared.pk}
    assert set(selectors.visible_manifests(w.alice).filter(pk__in=[private.pk, shared.pk])) == {private, shared}
    access.rebuild()
    assert set(ManifestAccess.objects.filter(manifest=private).values_list("kind", "ref")) == {(1, w.alpha.pk)}
