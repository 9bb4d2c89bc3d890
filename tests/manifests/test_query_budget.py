"""How many SQL statements each transition of the status machine sends: pinned, so that a change cannot add
round trips back unnoticed (issue 7: 113 statements per lifecycle once, 20 lifecycles per second wanted).

Each transition is measured as a new request would run it: the actor's scope is read again first. Under the
test's own transaction the service's transaction.atomic is a savepoint: its SAVEPOINT and RELEASE are counted
(2 statements that a request pays as BEGIN and COMMIT). On PostgreSQL a few writes go as one statement
(accounts.audit, manifests.access): the budgets differ per database.

A transition that needs more statements for a good reason raises its budget here, in the same change, with
the reason in the commit; one that needs fewer lowers it.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import policy
from manifests import services
from manifests.models import Status
from tests.factories import PASSWORD
from tests.manifests.lifecycle import quantities

pytestmark = pytest.mark.django_db

# transition: (PostgreSQL, SQLite), savepoint and release included.
BUDGET = {
    "create_draft": (9, 12),
    "sign": (14, 20),
    "pickup": (12, 18),
    "deliver": (8, 12),
    "receive": (10, 15),
    "treat": (13, 20),
}


def _run(name, actor, call, counts):
    policy.forget_scope(actor)  # a new request reads the scope again
    with CaptureQueriesContext(connection) as captured:
        result = call()
    counts[name] = [query["sql"] for query in captured.captured_queries]
    return result


def test_each_transition_keeps_to_its_statement_budget(chain):
    w = chain
    for user in (w.alice, w.dan, w.fred):
        policy.scope_for(user)  # the user's jurisdiction, which the sign-in loads with the user
    counts = {}
    today = timezone.localdate()
    m = _run("create_draft", w.alice, lambda: w.draft(), counts)
    m = _run("sign", w.alice, lambda: services.sign(w.alice, m, PASSWORD), counts)
    m = _run(
        "pickup",
        w.dan,
        lambda: services.pickup(
            w.dan, m, vehicle=w.truck, quantities=quantities(m), latitude=Decimal("21.028511"), longitude=Decimal("105.804817"),
            accuracy_m=Decimal(12), idempotency_key="budget-pickup",
        ),
        counts,
    )
    m = _run("deliver", w.dan, lambda: services.deliver(w.dan, m, idempotency_key="budget-deliver"), counts)
    lines = list(m.lines.all())
    received = {line.pk: {"received_quantity_kg": line.quantity_kg} for line in lines}
    m = _run("receive", w.fred, lambda: services.receive(w.fred, m, password=PASSWORD, lines=received), counts)
    treated = {line.pk: {"treatment_method": w.incineration, "treated_on": today} for line in lines}
    m = _run("treat", w.fred, lambda: services.treat(w.fred, m, password=PASSWORD, lines=treated), counts)
    assert m.status == Status.COMPLETED

    column = 0 if connection.vendor == "postgresql" else 1
    over = {
        name: f"{len(statements)} > {BUDGET[name][column]}:\n  " + "\n  ".join(sql[:150] for sql in statements)
        for name, statements in counts.items()
        if len(statements) > BUDGET[name][column]
    }
    assert not over, "statements over budget: " + "\n".join(f"{name}: {detail}" for name, detail in over.items())
