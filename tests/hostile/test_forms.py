"""Every form of the portal, posted as its page rendered it with some fields replaced by hostile values: never a
500, a refused form says why next to the field, a refused post saves nothing.

Each example runs in a savepoint rolled back after it, so that an accepted post does not change what the next
example meets.
"""

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import PASSWORD

from .harness import check_answer, form_fields, hostile_values, post_form, state, sweep

pytestmark = pytest.mark.django_db


class RolledBack(Exception):
    pass


def in_savepoint(run, *args):
    """Run `run(*args)` and undo whatever it wrote."""
    try:
        with transaction.atomic():
            run(*args)
            raise RolledBack
    except RolledBack:
        pass


# name: (actor, URL name, URL arguments (world refs), a field of the form (to find it on the page), fields set
# before the hostile ones (kept as given: the submit buttons' names a browser sends), fields left alone)
FORMS = {
    "login": ("anon", "accounts:login", [], "username", {"username": "alice", "password": PASSWORD}),
    "site_create": ("alice", "accounts:site_create", ["alpha"], "name", {}),
    "site_edit": ("alice", "accounts:site_edit", ["alpha_hn"], "name", {}),
    "member_add": ("alice", "accounts:member_add", ["alpha"], "username", {}),
    "member_edit": ("alice", "accounts:member_edit", ["alpha", "ms_vera"], "role", {}),
    "password_change": ("abe", "accounts:password_change", [], "old_password", {"old_password": PASSWORD}),
    "handover_code": ("alice", "manifests:handover_code", ["alpha"], "password", {"password": PASSWORD}),
    "draft_create": ("alice", "manifests:create", [], "generator_site", {}),
    "draft_edit": ("alice", "manifests:edit", ["a_draft"], "generator_site", {}),
    "sign": ("alice", "manifests:sign", ["a_draft"], "password", {"password": PASSWORD}),
    "cancel": ("alice", "manifests:cancel", ["a_ready_for_pickup"], "reason", {"reason": "Kế hoạch thay đổi"}),
    "follow_up": ("alice", "manifests:follow_up", ["a_rejected"], "kind", {"password": PASSWORD}),
    "pickup": ("dan", "manifests:pickup", ["a_ready_for_pickup"], "vehicle", {}),
    "deliver": ("dan", "manifests:deliver", ["a_in_transit"], "idempotency_key", {}),
    "receive": ("fred", "manifests:receive", ["a_delivered"], "password", {"password": PASSWORD, "action": "receive"}),
    "refuse": ("fred", "manifests:receive", ["a_delivered"], "refuse_reason", {"password": PASSWORD, "action": "refuse"}),
    "treat": ("fred", "manifests:treat", ["a_received"], "password", {"password": PASSWORD}),
    "revision_request": ("alice", "manifests:revision_create", ["a_completed_open"], "comment", {}),
    "revision_decide": ("fred", "manifests:revision_decide", ["rev_a"], "comment", {"decision": "approve"}),
    "annual_report": ("alice", "annual_reports:prepare", ["alpha_hn", "year"], "password", {"password": PASSWORD}),
}
# Fields that select which form of the page is posted (a browser sends the button it was given).
CONTROLS = {"action"}


def resolve(world, name, args):
    return reverse(name, args=[world.refs[arg] for arg in args])


def attempt(client, url, payload):
    before = state()
    check_answer(post_form(client, url, payload), before)


def failure(error):
    """An error with the example Hypothesis found (its notes), for the report of every form at once."""
    return "\n".join([f"{type(error).__name__}: {error}"[:500], *getattr(error, "__notes__", [])])


def hostile_posts(client, url, base):
    """Post the form with one to three of its fields replaced by hostile values (a value, or several for one
    field), each example in a rolled-back savepoint."""
    names = sorted(set(base) - CONTROLS)

    @given(data=st.data())
    def hostile_post(data):
        payload = dict(base)
        for name in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True), label="fields"):
            payload[name] = data.draw(st.one_of(hostile_values, st.lists(hostile_values, min_size=2, max_size=3)), label=name)

        in_savepoint(attempt, client, url, payload)

    hostile_post()


def test_hostile_values_in_every_form(hostile_world, client_of):
    """One world for all the forms (building it costs more than the posts); every form is tried, and the
    failures of all of them are reported together."""
    failures = {}
    for form, (actor, url_name, args, marker, given_fields) in FORMS.items():
        client = client_of(actor)
        url = resolve(hostile_world, url_name, args)
        base = form_fields(client, url, marker, **given_fields)
        try:
            for payload in sweep(base, CONTROLS):
                in_savepoint(attempt, client, url, payload)
            hostile_posts(client, url, base)
        except Exception as error:  # noqa: BLE001 - reported below, with the example
            failures[form] = failure(error)
    assert not failures, "\n\n".join(f"--- {form} ---\n{text}" for form, text in failures.items())
