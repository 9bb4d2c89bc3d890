"""The menu each role sees. Entries point only at pages that exist and that the policy lets the user open."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import policy


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    name: str


def menu_for(user):
    scope = policy.scope_for(user)
    items = [MenuItem(_("Home"), reverse("home"), "home")]
    if scope.roles or scope.is_official or scope.is_admin:
        items.append(MenuItem(_("Organisations"), reverse("accounts:organisation_list"), "organisations"))
        items.append(MenuItem(_("Sites"), reverse("accounts:site_list"), "sites"))
    if scope.is_admin:
        items.append(MenuItem(_("System administration"), reverse("admin:index"), "admin"))
    items.append(MenuItem(_("Account"), reverse("accounts:profile"), "profile"))
    return items
