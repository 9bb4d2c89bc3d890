"""seed_synthetic: realistic shapes, deterministic for a seed, an access index equal to the rule, counters equal
to the rows, and a refusal on a database holding real manifests. PostgreSQL only (INSERT … SELECT)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Count

from accounts.audit import verify_chains
from accounts.models import Membership, Organisation, Site, User
from manifests import selectors
from manifests.models import AccessCount, Manifest, ManifestAccess, ManifestLine, Status
from manifests.synthetic import SYNTHETIC_USER
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("seed_synthetic writes with PostgreSQL's generate_series")


@pytest.fixture
def reference(postgresql):
    call_command("load_reference_data", stdout=StringIO())


def seed(**options):
    call_command("seed_synthetic", stdout=StringIO(), **{"manifests": 3000, "years": 2, "seed": 7, **options})


def fingerprint():
    return list(Manifest.objects.order_by("number").values_list("number", "status", "declared_kg", "generator__tax_code", "facility__tax_code"))


def test_the_data_has_the_shapes_of_a_national_system(reference):
    seed()
    manifests = Manifest.objects.all()
    assert manifests.count() == 3000
    assert ManifestLine.objects.count() >= 3000
    statuses = dict(manifests.values_list("status").annotate(n=Count("pk")))
    assert statuses[Status.COMPLETED] > 0.6 * 3000 and {Status.IN_TRANSIT, Status.REJECTED, Status.CANCELLED} <= set(statuses)
    assert manifests.filter(has_discrepancy=True).exists() and manifests.filter(overdue_since__isnull=False).exists()
    per_generator = sorted(manifests.values("generator").annotate(n=Count("pk")).values_list("n", flat=True), reverse=True)
    assert per_generator[0] > 10 * per_generator[len(per_generator) // 2]  # heavy-tailed
    assert manifests.values("province").distinct().count() > 10
    sites = Site.objects.filter(organisation__address="Synthetic")
    assert all(site.ward.province_id == site.province_id for site in sites.select_related("ward")[:200])
    assert Membership.objects.filter(organisation__address="Synthetic", role=Membership.Role.DRIVER).exists()
    for manifest in manifests.filter(status=Status.COMPLETED)[:50]:
        assert manifest.declared_kg == sum(line.quantity_kg for line in manifest.lines.all())
    assert verify_chains() == (0, None)


def test_the_index_and_the_counters_match_the_rule(reference):
    seed()
    facility = Organisation.objects.filter(address="Synthetic", is_facility=True).annotate(n=Count("received_manifests")).order_by("-n").first()
    clerk = factories.UserFactory(username="clerk")
    factories.MembershipFactory(user=clerk, organisation=facility, role=Membership.Role.MEMBER)
    official = factories.JurisdictionFactory(user=factories.UserFactory(username="hcm"), province_id=79).user
    for user in (clerk, official):
        assert set(selectors.scope_rows(user).values_list("manifest_id", flat=True)) == set(
            selectors.visible_manifests(user).values_list("pk", flat=True)
        )
    for counter in AccessCount.objects.filter(key__in=Status.values)[:200]:
        assert counter.count == ManifestAccess.objects.filter(kind=counter.kind, ref=counter.ref, status=counter.key).count()


def test_the_same_seed_gives_the_same_data_and_reset_removes_it(reference):
    seed()
    first = fingerprint()
    call_command("seed_synthetic", reset=True, stdout=StringIO())
    assert not Manifest.objects.exists() and not Organisation.objects.filter(address="Synthetic").exists()
    seed()
    assert fingerprint() == first
    call_command("seed_synthetic", reset=True, stdout=StringIO())
    seed(seed=8)
    assert fingerprint() != first


def test_a_database_with_real_manifests_is_refused(reference, chain):
    chain.draft()
    with pytest.raises(CommandError, match="not synthetic"):
        seed()
    assert not User.objects.filter(username=SYNTHETIC_USER).exists()


def test_the_foreign_keys_dropped_for_the_load_are_back_and_checked(reference):
    def keys():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint"
                " WHERE contype = 'f' AND conrelid::regclass::text LIKE 'manifests_manifest%%' ORDER BY 1, 2"
            )
            return cursor.fetchall()

    before = keys()
    assert any(table == "manifests_manifestline" for table, *_ in before)
    seed()
    assert keys() == before
    line = ManifestLine.objects.first()
    with pytest.raises(IntegrityError, match="foreign key"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE manifests_manifestline SET manifest_id = -1 WHERE id = %s", [line.pk])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
