"""The sites' pre-written map features (stats.models.SiteFeature) follow every way a site or an organisation is
written — save(), update(), bulk_create(), delete() — because PostgreSQL's triggers write them, not the
application: after each, the collection built from them equals the one written row by row from the sites."""

import json
from decimal import Decimal

import pytest
from django.db import connection

from gis.views import data
from stats.models import SiteFeature
from tests import factories

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")


def collections(user, filters=None):
    """(from the pre-written features, written row by row as on other databases), each parsed and sorted by id."""
    filters = filters or data.SiteFilters()
    built = json.loads(data.sites_geojson(user, filters))
    vendor = connection.vendor
    connection.vendor = "python"
    try:
        fallback = json.loads(data.sites_geojson(user, filters))
    finally:
        connection.vendor = vendor
    for collection in (built, fallback):
        collection["features"].sort(key=lambda feature: feature["id"])
    return built, fallback


def on_map(user):
    built, fallback = collections(user)
    assert built == fallback
    return {feature["id"]: feature["properties"] for feature in built["features"]}, built["organisations"]


def test_the_features_follow_every_write_of_sites_and_organisations(chain):
    w = chain
    Site, Organisation = type(w.alpha_hn), type(w.alpha)
    features, _ = on_map(w.admin)
    assert w.alpha_hn.pk in features
    assert SiteFeature.objects.count() == len(features)

    Site.objects.filter(pk=w.alpha_hn.pk).update(latitude=None, longitude=None)  # no position: not on the map
    assert w.alpha_hn.pk not in on_map(w.admin)[0]

    Site.objects.filter(pk=w.alpha_hn.pk).update(latitude=Decimal("21.0285"), longitude=Decimal("105.8542"), name='Kho "A" \\ 1')
    features, _ = on_map(w.admin)
    assert features[w.alpha_hn.pk]["name"] == 'Kho "A" \\ 1'

    [added] = Site.objects.bulk_create(
        [Site(organisation=w.alpha, name="Kho Long Biên", address="Số 2", province=w.hanoi, ward=w.hanoi_ward, latitude=Decimal("21.04"), longitude=Decimal("105.88"))]
    )
    features, _ = on_map(w.admin)
    assert features[added.pk]["province"] == w.hanoi.pk

    added.active = False
    added.save()
    features, _ = on_map(w.admin)
    assert added.pk not in features

    Organisation.objects.filter(pk=w.alpha.pk).update(name="Alpha Mới", is_transporter=True)
    features, organisations = on_map(w.admin)
    assert organisations[str(w.alpha.pk)] == "Alpha Mới"
    assert features[w.alpha_hn.pk]["kinds"] == "gt"

    Organisation.objects.filter(pk=w.alpha.pk).update(active=False)
    features, organisations = on_map(w.admin)
    assert not {w.alpha_hn.pk, w.alpha_hcm.pk} & set(features) and str(w.alpha.pk) not in organisations
    Organisation.objects.filter(pk=w.alpha.pk).update(active=True)
    features, _ = on_map(w.admin)
    assert {w.alpha_hn.pk, w.alpha_hcm.pk} <= set(features)

    gone = factories.SiteFactory(organisation=w.zeta, ward=w.hcm_ward)
    assert gone.pk in on_map(w.admin)[0]
    gone.delete()
    features, _ = on_map(w.admin)
    assert gone.pk not in features
    assert SiteFeature.objects.count() == len(features)


def test_an_update_of_what_the_map_does_not_show_leaves_the_features_alone(chain):
    w = chain
    before = dict(SiteFeature.objects.values_list("site_id", "head"))
    type(w.alpha).objects.filter(pk=w.alpha.pk).update(phone="0243 111 222", address="Số 9 Tràng Tiền")
    assert dict(SiteFeature.objects.values_list("site_id", "head")) == before
    with connection.cursor() as cursor:  # not even rewritten the same: the row stays where it was
        cursor.execute("SELECT ctid::text FROM stats_sitefeature WHERE site_id = %s", [w.alpha_hcm.pk])
        place = cursor.fetchone()
        type(w.alpha).objects.filter(pk=w.alpha.pk).update(phone="0243 333 444")
        cursor.execute("SELECT ctid::text FROM stats_sitefeature WHERE site_id = %s", [w.alpha_hcm.pk])
        assert cursor.fetchone() == place
        type(w.alpha).objects.filter(pk=w.alpha.pk).update(name="Alpha Mới")
        cursor.execute("SELECT ctid::text FROM stats_sitefeature WHERE site_id = %s", [w.alpha_hcm.pk])
        assert cursor.fetchone() != place
