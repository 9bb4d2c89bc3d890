"""The menu each role sees (project level: it links the pages of every app).

Entries point only at pages that exist and that the policy lets the user open.

The menu is on every page, twice (the phone's folded menu and the wide one): it is built once per request and
written as HTML in Python (`menu_html`), which costs a fraction of a template loop with a translated badge per
entry.
"""

from dataclasses import dataclass
from functools import lru_cache

from django.urls import get_script_prefix, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from accounts import policy
from manifests.notifications import UNREAD_CAP, unread_count

Role = policy.Role


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    name: str
    badge: int = 0


def _kinds(user):
    """What decides the entries: the kinds of the user's organisations (by role) and the official or admin standing."""
    scope = policy.scope_for(user)
    return (
        bool(policy.organisations_with(user, "transporter", policy.TRANSPORT_ROLES)),
        bool(policy.organisations_with(user, "facility", policy.FOLLOW_ROLES)),
        bool(policy.organisations_with(user, "generator", policy.FOLLOW_ROLES)),
        bool(scope.roles),
        scope.is_official,
        scope.is_admin,
    )


@lru_cache(maxsize=64)
def _entries(kinds, script_prefix):
    """The entries for those kinds (a few dozen combinations at most): the URLs reversed once per process."""
    transporter, facility, generator, member, official, admin = kinds
    overseer = official or admin
    entries = [("home", _("Home"), reverse("home"))]
    if transporter:
        entries.append(("pickups", _("Pickups"), reverse("manifests:driver_list")))
    if facility:
        entries.append(("incoming", _("Incoming waste"), reverse("manifests:incoming")))
    if member or overseer:
        entries.append(("manifests", _("Manifests"), reverse("manifests:list")))
    if overseer:
        entries.append(("discrepancies", _("Discrepancies"), reverse("manifests:oversight", args=["discrepancies"])))
        entries.append(("rejections", _("Rejections"), reverse("manifests:oversight", args=["rejections"])))
        entries.append(("overdue", _("Overdue"), reverse("manifests:oversight", args=["overdue"])))
    if overseer or generator or facility:
        entries.append(("statistics", _("Statistics"), reverse("stats:home")))
    if overseer:  # the report PDFs (stats.views.reports): officials of any level
        entries.append(("statistics_reports", _("Statistics reports"), reverse("stats:reports")))
    if member or overseer:
        entries.append(("organisations", _("Organisations"), reverse("accounts:organisation_list")))
        entries.append(("sites", _("Sites"), reverse("accounts:site_list")))
        entries.append(("maps", _("Maps"), reverse("gis:sites_map")))
        entries.append(("notifications", _("Notifications"), reverse("manifests:notifications")))
    # Annual reports (stats.views.annual): members of generators and facilities file them, officials follow them.
    if overseer:
        entries.append(("annual_register", _("Annual report register"), reverse("annual_reports:register")))
    elif generator or facility:
        entries.append(("annual_reports", _("Annual reports"), reverse("annual_reports:list")))
    if admin:
        entries.append(("admin", _("System administration"), reverse("admin:index")))
    entries.append(("profile", _("Account"), reverse("accounts:profile")))
    return tuple(entries)


def menu_for(user):
    entries = _entries(_kinds(user), get_script_prefix())
    unread = unread_count(user) if any(name == "notifications" for name, _label, _url in entries) else 0
    return [MenuItem(label, url, name, unread if name == "notifications" else 0) for name, label, url in entries]


def _badge(count):
    if not count:
        return ""
    label = ngettext("%(counter)s unread", "%(counter)s unread", count) % {"counter": count}
    return format_html(
        ' <span class="badge badge-warn" aria-label="{}">{}</span>', label, f"{UNREAD_CAP}+" if count > UNREAD_CAP else count
    )


def menu_html(items, current_path):
    """The menu as HTML: one link per entry, the current page marked, the unread badge where there is one."""
    html = _menu_html(tuple(items), get_language())
    # The current page's link marked in the HTML kept for every page (a link appears once, its URL escaped).
    link = format_html('<a href="{}">', current_path)
    return SafeString(html.replace(link, link[:-1] + ' aria-current="page">', 1)) if link in html else html


@lru_cache(maxsize=256)
def _menu_html(items, language):
    """The HTML of a menu without the current page's mark (by entries, badge and language: a few hundred at most)."""
    entries = format_html_join(
        "", '\n  <li><a href="{}">{}{}</a></li>', ((item.url, item.label, _badge(item.badge)) for item in items)
    )
    return format_html('<ul class="menu">{}\n</ul>', entries)
