"""Shared pieces of the manifest views: request context for the audit chain, errors from the services."""

import uuid

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.audit import RequestContext

from ..services import AlreadyDone, TransitionError


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


__all__ = ["AlreadyDone", "TransitionError", "already_done_response", "apply_transition_error", "new_idempotency_key", "request_context"]
