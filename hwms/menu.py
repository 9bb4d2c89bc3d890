"""The menu each role sees (project level: it links the pages of every app).

Entries point only at pages that exist and that the policy lets the user open.

The menu is on every page, twice (the phone's folded menu and the wide one): it is built once per request and
written as HTML in Python (`menu_html`), which costs a fraction of a template loop with a translated badge per
entry.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import policy
from manifests.notifications import UNREAD_CAP, unread_count

Role = policy.Role


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    name: str
    badge: int = 0


def menu_for(user):
    scope = policy.scope_for(user)
    items = [MenuItem(_("Home"), reverse("home"), "home")]
    if policy.organisations_with(user, "transporter", policy.TRANSPORT_ROLES):
        items.append(MenuItem(_("Pickups"), reverse("manifests:driver_list"), "pickups"))
    if policy.organisations_with(user, "facility", policy.FOLLOW_ROLES):
        items.append(MenuItem(_("Incoming waste"), reverse("manifests:incoming"), "incoming"))
    if scope.roles or scope.is_official or scope.is_admin:
        items.append(MenuItem(_("Manifests"), reverse("manifests:list"), "manifests"))
    if scope.is_official or scope.is_admin:
        items.append(MenuItem(_("Discrepancies"), reverse("manifests:oversight", args=["discrepancies"]), "discrepancies"))
        items.append(MenuItem(_("Rejections"), reverse("manifests:oversight", args=["rejections"]), "rejections"))
        items.append(MenuItem(_("Overdue"), reverse("manifests:oversight", args=["overdue"]), "overdue"))
    if scope.is_official or scope.is_admin or policy.organisations_with(user, "generator", policy.FOLLOW_ROLES) or policy.organisations_with(
        user, "facility", policy.FOLLOW_ROLES
    ):
        items.append(MenuItem(_("Statistics"), reverse("stats:home"), "statistics"))
    if scope.is_official or scope.is_admin:  # the report PDFs (stats.views.reports): officials of any level
        items.append(MenuItem(_("Statistics reports"), reverse("stats:reports"), "statistics_reports"))
    if scope.roles or scope.is_official or scope.is_admin:
        items.append(MenuItem(_("Organisations"), reverse("accounts:organisation_list"), "organisations"))
        items.append(MenuItem(_("Sites"), reverse("accounts:site_list"), "sites"))
        items.append(MenuItem(_("Maps"), reverse("gis:sites_map"), "maps"))
        items.append(MenuItem(_("Notifications"), reverse("manifests:notifications"), "notifications", unread_count(user)))
    # Annual reports (stats.views.annual): members of generators and facilities file them, officials follow them.
    if scope.is_official or scope.is_admin:
        items.append(MenuItem(_("Annual report register"), reverse("annual_reports:register"), "annual_register"))
    elif policy.organisations_with(user, "generator", policy.FOLLOW_ROLES) or policy.organisations_with(user, "facility", policy.FOLLOW_ROLES):
        items.append(MenuItem(_("Annual reports"), reverse("annual_reports:list"), "annual_reports"))
    if scope.is_admin:
        items.append(MenuItem(_("System administration"), reverse("admin:index"), "admin"))
    items.append(MenuItem(_("Account"), reverse("accounts:profile"), "profile"))
    return items


def _badge(count):
    if not count:
        return ""
    label = ngettext("%(counter)s unread", "%(counter)s unread", count) % {"counter": count}
    return format_html(' <span class="badge badge-warn" aria-label="{}">{}</span>', label, f"{UNREAD_CAP}+" if count > UNREAD_CAP else count)


def menu_html(items, current_path):
    """The menu as HTML: one link per entry, the current page marked, the unread badge where there is one."""
    entries = format_html_join(
        "",
        '\n  <li><a href="{}"{}>{}{}</a></li>',
        (
            (item.url, SafeString(' aria-current="page"') if item.url == current_path else "", item.label, _badge(item.badge))
            for item in items
        ),
    )
    return format_html('<ul class="menu">{}\n</ul>', entries)
