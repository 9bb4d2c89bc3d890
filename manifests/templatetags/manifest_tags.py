"""A manifest's status badge and flags, as tags: lists render them for every row, where an {% include %} per row
costs more than the rest of the row."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..models import Status

register = template.Library()

BADGE_CLASSES = {
    Status.DRAFT: "badge",
    Status.COMPLETED: "badge badge-ok",
    Status.REJECTED: "badge badge-danger",
    Status.CANCELLED: "badge badge-danger",
}


@register.simple_tag
def status_badge(manifest):
    """One colour per status everywhere: done, refused or withdrawn, a draft, or waiting on someone."""
    # Status(...).label rather than get_status_display(), which rebuilds the dict of every choice (and translates
    # each label) on each call: ten translations per row.
    return format_html('<span class="{}">{}</span>', BADGE_CLASSES.get(manifest.status, "badge badge-warn"), _label(manifest.status))


def _label(status):
    try:
        return Status(status).label
    except ValueError:  # not a status of today's list: shown as stored, as get_status_display() would
        return status


@register.simple_tag
def manifest_flags(manifest):
    """The overdue and discrepancy badges (nothing when neither applies)."""
    flags = []
    if manifest.is_overdue:
        flags.append(format_html(' <span class="badge badge-danger">{}</span>', _("overdue")))
    if manifest.has_discrepancy:
        flags.append(format_html(' <span class="badge badge-warn">{}</span>', _("discrepancy")))
    return mark_safe("".join(flags))  # noqa: S308 - each piece is escaped by format_html
