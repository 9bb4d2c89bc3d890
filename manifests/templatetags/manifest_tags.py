"""A manifest's status badge and flags, as tags: lists render them for every row, where an {% include %} per row
costs more than the rest of the row."""

import html
import threading
import unicodedata
from collections import OrderedDict

from django import template
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from common.forms import field_html
from common.numbers import format_kg, format_number

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
    return mark_safe(f'<span class="{BADGE_CLASSES.get(manifest.status, "badge badge-warn")}">{html.escape(str(_label(manifest.status)))}</span>')  # noqa: S308 - escaped


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


SHORT_NAME = 48


def _short_name(name):
    """Truncator(name).chars(48) without building a Truncator (a lazy object) for the names that fit."""
    name = unicodedata.normalize("NFC", name)
    return name if len(name) <= SHORT_NAME else Truncator(name).chars(SHORT_NAME)


@register.simple_tag
def waste_summary(manifest):
    """What waste and how much, on a list card or row (after selectors.load_waste_summaries): the first lines'
    code and short name, how many more lines, the declared total. A tag, not an include: lists render it per row."""
    items = [
        format_html(
            '<li><strong class="nowrap">{}</strong> {}</li>', line.waste_code.code, _short_name(line.waste_code.name)
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


def _short_date(value):
    """As the template filter `date:"SHORT_DATE_FORMAT"` prints it (nothing for no date)."""
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else ""


def detail_urls(manifests):
    """The detail page's address of each manifest, from one reverse() (a list of 25 rows would do 25)."""
    pattern = reverse("manifests:detail", args=[URL_SENTINEL])
    return [pattern.replace(str(URL_SENTINEL), str(manifest.pk)) for manifest in manifests]


URL_SENTINEL = 987654321987


def _text(value):
    """{{ value }} for plain text: escaped (html.escape, as django.utils.html.escape), None printed as "None"."""
    return html.escape(str(value))


@register.simple_tag
def manifest_rows(manifests, show_province=False):
    """The rows of the manifests table (partials/manifest_table.html), written in Python: a list prints 25 of them
    on every request, and the template loop with its tags cost more than the rest of the page. Plain f-strings
    with escaped values: format_html's checks per value cost as much as the row."""
    rows = []
    for manifest, url in zip(manifests, detail_urls(manifests), strict=True):
        province = f"\n        <td>{_text(manifest.province.name)}</td>" if show_province else ""
        rows.append(
            f'\n      <tr>\n        <td class="nowrap"><a href="{_text(url)}"><strong>{_text(manifest.number)}</strong></a></td>'
            f"\n        <td>{status_badge(manifest)}{manifest_flags(manifest)}</td>"
            f'\n        <td>{_text(manifest.generator.name)}<br><span class="muted">{_text(manifest.generator_site.name)}</span></td>'
            f'\n        <td>{_text(manifest.facility.name)}<br><span class="muted">{_text(manifest.facility_site.name)}</span></td>{province}'
            f"\n        <td>{_text(_short_date(manifest.planned_pickup_date))}</td>"
            f'\n        <td class="num">{_text(format_number(manifest.declared_kg))}</td>\n      </tr>'
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value escaped by _text or built safe


# The filter form of a list prints the same HTML for the same query, language and choices, and most requests ask
# for one of a few (no filter, one status): the HTML of a form without errors is kept per process, bounded.
FORM_HTML_KEPT = 256
_form_html = OrderedDict()
_form_html_lock = threading.Lock()


def _plain(choices):
    """Choices (with groups) as nested tuples of text: a key by value, whatever objects hold the labels."""
    if isinstance(choices, (str, Promise)) or not hasattr(choices, "__iter__"):
        return str(choices)
    return tuple(_plain(item) for item in choices)


def _form_key(fields):
    """What the HTML of these bound fields depends on, or None when it is not to be kept (errors to show)."""
    if not fields:
        return None
    form = fields[0].form
    if form.errors:
        return None
    # django-filter builds a new form class for each filter set: the fields themselves say what is printed.
    printed = tuple(
        (
            field.name,
            str(field.label),
            str(field.help_text),
            type(field.field.widget),
            _plain(getattr(field.field, "choices", ())),
        )
        for field in fields
    )
    data = None
    if form.is_bound:
        pairs = form.data.lists() if hasattr(form.data, "lists") else form.data.items()
        data = tuple(sorted((name, _plain(values if isinstance(values, (list, tuple)) else [values])) for name, values in pairs))
    return (type(form).__qualname__, form.prefix, get_language(), data, printed)


@register.simple_tag
def form_fields(fields):
    """The visible fields of a list's filter form, each as templates/partials/field.html prints it (common.forms)."""
    fields = list(fields)
    key = _form_key(fields)
    if key is not None:
        with _form_html_lock:  # threaded workers share the dict
            if key in _form_html:
                _form_html.move_to_end(key)
                return _form_html[key]
    rendered = mark_safe("".join(field_html(field) for field in fields))  # noqa: S308 - built by common.forms.field_html
    if key is not None:
        with _form_html_lock:
            _form_html[key] = rendered
            while len(_form_html) > FORM_HTML_KEPT:
                _form_html.popitem(last=False)
    return rendered


def site_address(site):
    """A site's name and address on one block, as manifests/driver/address.html prints it."""
    place = "".join(f", {escape(part.name)}" for part in (site.ward, site.province) if part)
    return format_html('{}<br><span class="muted">{}{}</span>', site.name, site.address, mark_safe(place))  # noqa: S308 - names escaped


def _sentence(message, **values):
    """A translated sentence with escaped values, as {% blocktranslate %} prints it (the sentence itself as is)."""
    return mark_safe(message % {name: conditional_escape(value) for name, value in values.items()})  # noqa: S308 - values escaped


CARD_ACTIONS = {"pickup": "manifests:pickup", "deliver": "manifests:deliver"}


@register.simple_tag
def driver_card(manifest, action):
    """One manifest of the driver's list (`action`: "pickup", "deliver" or "done"), written in Python: the page
    prints up to sixty of them, and a card included as a template cost more than the rest of the page."""
    title = format_html(
        '<h3 class="card-title"><span class="manifest-number">{}</span> {}\n</h3>', manifest.number, status_badge(manifest)
    )
    if action == "pickup":
        date = formats.date_format(manifest.planned_pickup_date, "SHORT_DATE_FORMAT") if manifest.planned_pickup_date else ""
        body = format_html(
            '<p>{}<br>{}\n</p>\n    <p>{}</p>\n    <a class="button block" href="{}">{}</a>',
            manifest.generator.name,
            site_address(manifest.generator_site),
            _sentence(_("Planned pickup: %(date)s"), date=date),
            reverse(CARD_ACTIONS[action], args=[manifest.pk]),
            _("Open and confirm the pickup"),
        )
    elif action == "deliver":
        picked_up = formats.date_format(timezone.localtime(manifest.picked_up_at), "SHORT_DATETIME_FORMAT") if manifest.picked_up_at else ""
        body = format_html(
            '<p>{} {}<br>{}\n</p>\n    <p class="muted">{}</p>\n    <a class="button block" href="{}">{}</a>',
            _("Deliver to:"),
            manifest.facility.name,
            site_address(manifest.facility_site),
            _sentence(_("Vehicle %(plate)s, picked up %(time)s"), plate=manifest.vehicle.plate if manifest.vehicle else "", time=picked_up),
            reverse(CARD_ACTIONS[action], args=[manifest.pk]),
            _("Open and confirm the delivery"),
        )
    else:
        delivered = formats.time_format(timezone.localtime(manifest.delivered_at), "H:i") if manifest.delivered_at else ""
        body = format_html(
            '<p>{} — {}</p>\n    <p class="muted">{}</p>',
            manifest.facility.name,
            manifest.facility_site.name,
            _sentence(_("Delivered at %(time)s"), time=delivered),
        )
    return format_html('\n<article class="card">\n  {}\n  {}\n    {}\n</article>', title, waste_summary(manifest), body)


INCOMING_ROW = (
    '\n      <tr>\n        <td class="stack-title"><a class="manifest-number" href="{url}"><strong>{number}</strong></a></td>'
    '\n        <td data-label="{waste_label}">{waste}</td>'
    '\n        <td data-label="{generator_label}">{generator}<br><span class="muted">{generator_site}, {province}</span></td>'
    '\n        <td data-label="{site_label}">{facility_site}</td>'
    '\n        <td data-label="{when_label}">{when}</td>'
    '\n        <td data-label="{transport_label}">{transporter}{vehicle}</td>'
    '\n        <td data-label="{status_label}">{badge}{discrepancy}</td>'
    '\n        <td>{action}</td>\n      </tr>'
)


@register.simple_tag
def incoming_rows(manifests, show):
    """The rows of the facility's incoming table (manifests/facility/incoming_table.html), written in Python: the
    labels are translated once per table instead of eight times per row."""
    pending = show == "pending"
    labels = {
        "waste_label": _("Waste"),
        "generator_label": _("Generator"),
        "site_label": _("Facility site"),
        "when_label": _("Received at") if pending else _("Planned pickup"),
        "transport_label": _("Transport"),
        "status_label": _("Status"),
    }
    discrepancy = format_html(' <span class="badge badge-warn">{}</span>', _("discrepancy"))
    receive, treat = _("Receive"), _("Record treatment")
    rows = []
    for manifest, url in zip(manifests, detail_urls(manifests), strict=True):
        if pending:
            when = formats.date_format(timezone.localtime(manifest.received_at), "SHORT_DATETIME_FORMAT") if manifest.received_at else ""
        else:
            when = _short_date(manifest.planned_pickup_date)
        if manifest.status in (Status.IN_TRANSIT, Status.DELIVERED):
            action = format_html('<a class="button" href="{}">{}</a>', reverse("manifests:receive", args=[manifest.pk]), receive)
        elif manifest.status == Status.RECEIVED:
            action = format_html('<a class="button" href="{}">{}</a>', reverse("manifests:treat", args=[manifest.pk]), treat)
        else:
            action = ""
        rows.append(
            format_html(
                INCOMING_ROW,
                url=url,
                number=manifest.number,
                waste=waste_summary(manifest),
                generator=manifest.generator.name,
                generator_site=manifest.generator_site.name,
                province=manifest.generator_site.province.name if manifest.generator_site.province else "",
                facility_site=manifest.facility_site.name,
                when=when,
                transporter=manifest.transporter.name,
                vehicle=format_html('<br><span class="muted">{}</span>', manifest.vehicle.plate) if manifest.vehicle else "",
                badge=status_badge(manifest),
                discrepancy=discrepancy if manifest.has_discrepancy else "",
                action=action,
                **labels,
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - each row is built by format_html
