"""common.prepared: a query shape compiled once per connection gives what the plain queryset gives; common.sql's
hand-spelled INSERT and UPDATE write what the ORM writes."""

from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.sql.compiler import SQLCompiler

from accounts.models import Membership, Site
from common import prepared, sql
from common.prepared import Prepared
from tests import factories

pytestmark = pytest.mark.django_db


def memberships_query(user_id):
    return (
        Membership.objects.filter(user_id=user_id, organisation__active=True)
        .select_related("organisation")
        .annotate(limited_to=F("sites"), has_site=Exists(Site.objects.filter(organisation=OuterRef("organisation_id"))))
        .order_by("pk")
    )


def as_rows(memberships):
    return [(m.pk, m.role, m.organisation.pk, m.organisation.name, m.limited_to, m.has_site) for m in memberships]


def test_a_prepared_query_gives_what_the_queryset_gives_for_each_value():
    prepared = Prepared(memberships_query)
    users = [factories.UserFactory() for _ in range(3)]
    for user in users[:2]:
        for _ in range(2):
            membership = factories.MembershipFactory(user=user)
            factories.SiteFactory(organisation=membership.organisation)
    limited = Membership.objects.filter(user=users[0]).first()
    limited.sites.add(factories.SiteFactory(organisation=limited.organisation))
    factories.MembershipFactory(user=users[1], organisation=factories.OrganisationFactory(active=False))
    for user in [*users, *users]:
        rows = prepared(user.pk)
        assert as_rows(rows) == as_rows(memberships_query(user.pk))
    assert as_rows(prepared(users[0].pk)) and prepared(users[2].pk) == []
    # Related objects came with the rows: reading them costs no query.
    rows = prepared(users[0].pk)
    with mock.patch.object(connection, "cursor", side_effect=AssertionError("a query")):
        assert all(row.organisation.name for row in rows)


def test_the_sql_is_compiled_once_per_connection():
    prepared = Prepared(memberships_query)
    user = factories.MembershipFactory().user
    first = as_rows(prepared(user.pk))
    with mock.patch.object(SQLCompiler, "as_sql", side_effect=AssertionError("compiled again")):
        assert as_rows(prepared(user.pk)) == first
        assert prepared(user.pk + 1000) == []


def test_several_values_each_in_its_place():
    prepared = Prepared(
        lambda user_id, organisation_id: memberships_query(user_id).filter(organisation_id=organisation_id), arity=2
    )
    membership = factories.MembershipFactory()
    other = factories.MembershipFactory(user=membership.user)
    assert [m.pk for m in prepared(membership.user_id, membership.organisation_id)] == [membership.pk]
    assert [m.pk for m in prepared(membership.user_id, other.organisation_id)] == [other.pk]
    assert prepared(membership.user_id, factories.OrganisationFactory().pk) == []


def test_a_value_the_sql_does_not_carry_is_refused():
    with pytest.raises(ValueError, match="parameter"):
        Prepared(lambda user_id: Membership.objects.all())(1)


def test_a_locking_prepared_query_locks_and_reads_inside_the_transaction():
    prepared = Prepared(lambda pk: Site.objects.select_for_update().filter(pk=pk))
    site = factories.SiteFactory()
    with transaction.atomic():
        assert [s.pk for s in prepared(site.pk)] == [site.pk]
    with transaction.atomic():
        assert [s.name for s in prepared(site.pk)] == [site.name]


def test_hand_spelled_insert_and_update_write_what_the_orm_writes():
    organisation = factories.OrganisationFactory()
    ward = factories.WardFactory()
    sites = [
        Site(
            organisation=organisation,
            name=f"Kho {index} \"'\\",
            ward=ward,
            province=ward.province,
            address="Số 1",
            latitude=Decimal("21.028511"),
            longitude=Decimal("105.8"),
        )
        for index in range(2)
    ]
    statement, params = sql.insert_statement(Site, sites)
    with transaction.atomic():
        sql.execute([(statement, params)])
    stored = list(Site.objects.filter(organisation=organisation).order_by("name"))
    assert [(s.name, s.latitude, s.longitude, s.province_id, s.active) for s in stored] == [
        (s.name, s.latitude, s.longitude, s.province_id, True) for s in sites
    ]
    site = stored[0]
    site.name, site.latitude, site.longitude = "Kho mới", None, None
    with transaction.atomic():
        sql.execute([sql.update_statement(site, ["name", "latitude", "longitude"])])
    site.refresh_from_db()
    assert (site.name, site.latitude, site.longitude) == ("Kho mới", None, None)
    assert Site.objects.get(pk=stored[1].pk).name == stored[1].name  # only the one row


def test_in_bulk_by_a_list_parameter_reads_only_the_model_unless_told():
    sites = [factories.SiteFactory() for _ in range(3)]
    wanted = {sites[0].pk, sites[2].pk}
    statements = []
    with connection.execute_wrapper(lambda execute, sql, *args: statements.append(sql) or execute(sql, *args)):
        found = prepared.in_bulk(Site, wanted)
        with_places = prepared.in_bulk(Site, wanted, "province", "ward")
    assert set(found) == wanted and all(isinstance(site, Site) for site in found.values())
    assert "JOIN" not in statements[0]  # select_related() without names would join every foreign key
    assert with_places[sites[0].pk].ward.name == sites[0].ward.name and "JOIN" in statements[1]
    assert prepared.in_bulk(Site, []) == {} and prepared.in_bulk(Site, [10**9]) == {}
    assert [site.pk for site in Site.objects.filter(pk__any=sorted(wanted)).order_by("pk")] == sorted(wanted)
    assert list(Site.objects.filter(pk__any=[])) == []


def test_a_text_value_takes_its_place_too():
    by_name = Prepared(lambda name: Site.objects.filter(name=name).order_by("pk"))
    first, second = factories.SiteFactory(name="Kho 'A'"), factories.SiteFactory(name="Kho B")
    assert [site.pk for site in by_name("Kho 'A'")] == [first.pk]
    assert [site.pk for site in by_name("Kho B")] == [second.pk]
    assert by_name("Kho C") == []


def test_a_value_compared_with_an_integer_expression():
    """The stand-ins fit a 32-bit integer: Django empties at compile time a comparison with a number outside an
    integer field's range (here the row number of a window, as the lists' first lines use)."""
    from django.db.models import Window
    from django.db.models.functions import RowNumber

    first = Prepared(
        lambda count: (
            Site.objects.annotate(rank=Window(RowNumber(), order_by=F("pk").asc())).filter(rank__lte=count).order_by("pk")
        )
    )
    sites = [factories.SiteFactory() for _ in range(3)]
    assert [site.pk for site in first(2)] == [site.pk for site in sites[:2]]
    assert [site.pk for site in first(5)] == [site.pk for site in sites]
