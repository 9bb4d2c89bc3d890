"""A manifest's status badge and flags, as tags: lists render them for every row, where an {% include %} per row
costs more than the rest of the row."""

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.numbers import format_kg

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
    if getattr(manifest, "over_capacity", False):
        flags.append(format_html(' <span class="badge badge-danger">{}</span>', _("beyond licensed capacity")))
    return mark_safe("".join(flags))  # noqa: S308 - each piece is escaped by format_html


@register.filter
def manifest_number(number):
    """A manifest number that never breaks across lines (inside translated sentences too: the span is safe HTML)."""
    return format_html('<span class="manifest-number">{}</span>', number)


@register.simple_tag
def waste_summary(manifest):
    """What waste and how much, on a list card or row (after selectors.load_waste_summaries): the first lines'
    code and short name, how many more lines, the declared total. A tag, not an include: lists render it per row."""
    items = [
        format_html(
            '<li><strong class="nowrap">{}</strong> {}</li>', line.waste_code.code, Truncator(line.waste_code.name).chars(48)
        )
        for line in manifest.waste_lines
    ]
    if manifest.more_lines:
        more = ngettext("and %(count)s more line", "and %(count)s more lines", manifest.more_lines) % {
            "count": manifest.more_lines
        }
        items.append(format_html('<li class="muted">{}</li>', more))
    total = format_html('<strong class="nowrap">{}</strong>', format_kg(manifest.declared_kg))
    declared = mark_safe(escape(_("Declared: %(kg)s")) % {"kg": total})  # noqa: S308 - the sentence escaped, the figure built by format_html
    items.append(format_html('<li class="waste-total">{}</li>', declared))
    return format_html('<ul class="waste-summary" aria-label="{}">{}</ul>', _("Waste"), mark_safe("".join(items)))  # noqa: S308 - pieces escaped above
