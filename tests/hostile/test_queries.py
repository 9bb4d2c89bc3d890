"""The query strings of every list, map and statistics page, with hostile values: never a 500 (a malformed or
out-of-range value is ignored, or answers 404 like any object outside the user's scope; a NUL answers 400), and a
GET writes nothing."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from .harness import DANGEROUS, get_query, hostile_values, state

pytestmark = pytest.mark.django_db

# Every parameter a page of the portal reads, whichever page reads it.
PARAMS = [
    "q", "page", "after", "before", "province", "year", "status", "kind", "show", "format", "export", "table", "number",
    "chapter", "direction", "waste_code", "counterpart", "date_field", "date_from", "date_to", "generated", "permit",
    "method",
]
# (actor, URL name, URL arguments): the pages that take a query string, as someone who may see them.
PAGES = [
    ("alice", "manifests:list", []),
    ("alice", "manifests:export", []),
    ("alice", "manifests:waste_code_search", []),
    ("dan", "manifests:driver_list", []),
    ("dan", "manifests:driver_find", []),
    ("fred", "manifests:incoming", []),
    ("hn", "manifests:oversight", ["discrepancies"]),
    ("alice", "manifests:notifications", []),
    ("alice", "accounts:organisation_list", []),
    ("alice", "accounts:site_list", []),
    ("central", "accounts:site_list", []),
    ("alice", "gis:ward_options", []),
    ("alice", "gis:ward_search", []),
    ("central", "gis:sites_map", []),
    ("central", "gis:sites_geojson", []),
    ("hn", "gis:choropleth", []),
    ("hn", "gis:flows", []),
    ("alice", "annual_reports:list", []),
    ("central", "annual_reports:register", []),
    ("central", "stats:dashboard", []),
    ("hn", "stats:dashboard", []),
    ("alice", "stats:enterprise", ["alpha"]),
    ("fred", "stats:facility", ["omega"]),
]
# A NUL anywhere answers 400 (common.middleware); anything else is ignored, or 404 outside the user's scope.
OK = {200, 302, 400, 404}


def page_url(world, name, args):
    return reverse(name, args=[world.refs.get(arg, arg) for arg in args])


def hostile_gets(client, url):
    @given(query=st.dictionaries(st.sampled_from(PARAMS), st.one_of(hostile_values, st.lists(hostile_values, max_size=3)), max_size=4))
    def hostile_get(query):
        assert get_query(client, url, query).status_code in OK

    hostile_get()


def test_hostile_query_strings_on_every_page(hostile_world, client_of):
    clients = {actor: client_of(actor) for actor in {actor for actor, _name, _args in PAGES}}
    before = state()
    failures = []
    for actor, name, args in PAGES:
        url = page_url(hostile_world, name, args)
        # The sweep: every parameter meets each dangerous value once.
        for k in range(len(DANGEROUS)):
            query = {param: DANGEROUS[(i + k) % len(DANGEROUS)] for i, param in enumerate(PARAMS)}
            try:
                code = get_query(clients[actor], url, query).status_code
            except Exception as error:  # noqa: BLE001 - a 500: reported with the others below
                failures.append(f"{name} as {actor} ?{ {key: value[:12] for key, value in query.items()} }: {type(error).__name__}: {error}")
                continue
            if code not in OK:
                failures.append(f"{name} as {actor}: {code}")

        try:
            hostile_gets(clients[actor], url)
        except Exception as error:  # noqa: BLE001
            failures.append(f"{name} as {actor}: {type(error).__name__}: {error}\n" + "\n".join(getattr(error, "__notes__", [])))
    assert not failures, "\n".join(failures)
    assert state() == before, "a GET with a hostile query string changed the database"
