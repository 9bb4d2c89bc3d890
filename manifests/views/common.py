"""Shared pieces of the manifest views: the rules' guards, request context for the audit chain, errors from
the services."""

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.audit import RequestContext
from common.pagination import Cursor

from .. import rules, selectors
from ..errors import AlreadyDone, TransitionError


def cursors(request):
    """The keyset page asked for (common.pagination); a malformed cursor is the first page."""
    return {"after": Cursor.decode(request.GET.get("after")), "before": Cursor.decode(request.GET.get("before"))}


def detail_url(manifest):
    return reverse("manifests:detail", args=[manifest.pk])


def manifest_for_action(user, pk, action):
    """The manifest for a page of `action`: 404 outside the user's scope, 403 when the rules say the user
    may not take the action (whatever the status: the page then says what happened)."""
    manifest = selectors.get_manifest_for_user(user, pk)
    if rules.acting_organisation(user, manifest, action) is None:
        raise PermissionDenied(rules.RULES[action].refusal)
    return manifest


def guard(request, manifest, action):
    """403 when the rules do not let the user take the action; back to the manifest with a message when its
    status no longer allows it (None when the action may go on)."""
    allowed, status_ok = rules.may(request.user, manifest, action)
    if not allowed:
        raise PermissionDenied(rules.RULES[action].refusal)
    if not status_ok:
        messages.error(request, rules.status_refusal(manifest))
        return redirect(detail_url(manifest))
    return None


def request_context(request, latitude=None, longitude=None, accuracy_m=None):
    return RequestContext.from_request(request, latitude, longitude, accuracy_m)


def new_idempotency_key():
    """Put in each phone form as a hidden field: a retried POST sends the same key."""
    return uuid.uuid4().hex


def apply_transition_error(form, error):
    """Show a TransitionError next to the fields it names, or at the top of the form."""
    if error.errors:
        for field, message in error.errors.items():
            form.add_error(field if field in form.fields else None, message)
    elif error.field and error.field in form.fields:
        form.add_error(error.field, error.message)
    else:
        form.add_error(None, error.message)


def already_done_response(request, error: AlreadyDone, url):
    messages.info(request, _("This was already recorded; nothing was saved twice."))
    return redirect(url)


def submit_transition(request, form, call, on_success, replay_url=None):
    """Run a service call for a valid POSTed form.

    Returns on_success(result) after a success; after a replayed idempotency key, a redirect to
    replay_url; otherwise None, and the view renders the form again with the errors next to the fields.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = call(form.cleaned_data)
    except AlreadyDone as error:
        return already_done_response(request, error, replay_url)
    except TransitionError as error:
        apply_transition_error(form, error)
        return None
    return on_success(result)


def success(request, message, url):
    """Flash a success message and redirect (the usual end of a transition)."""
    messages.success(request, message)
    return redirect(url)


__all__ = [
    "AlreadyDone",
    "TransitionError",
    "already_done_response",
    "apply_transition_error",
    "cursors",
    "detail_url",
    "guard",
    "manifest_for_action",
    "new_idempotency_key",
    "request_context",
    "submit_transition",
    "success",
]
