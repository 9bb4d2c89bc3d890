"""The pages' PostgreSQL connections start no parallel workers and no JIT (settings: both cost more than the short
queries of a page, measured at 3 M manifests); the rollup rebuilds, which read whole tables, turn parallel
workers back on for their own transaction only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stats import rollups

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's settings"),
]


def show(name):
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def test_the_pages_connections_start_no_parallel_workers_and_no_jit():
    assert show("max_parallel_workers_per_gather") == "0"
    assert show("jit") == "off"
    assert show("lock_timeout") == "5s"


def test_a_rollup_rebuild_turns_parallel_workers_on_for_its_own_statements(settings):
    settings.HWMS_BULK_PARALLEL_WORKERS = 2
    with CaptureQueriesContext(connection) as queries:
        rollups.rebuild(["generator_site_code"])
    statements = [query["sql"] for query in queries.captured_queries]
    assert "SET LOCAL max_parallel_workers_per_gather = 2" in statements
    assert statements.index("SET LOCAL max_parallel_workers_per_gather = 2") < next(
        i for i, sql in enumerate(statements) if sql.startswith("CREATE TEMPORARY TABLE")
    )
