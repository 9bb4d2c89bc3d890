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
    items = [MenuItem(_("Trang chủ"), reverse("home"), "home")]
    if scope.roles or scope.is_official or scope.is_admin:
        items.append(MenuItem(_("Tổ chức"), reverse("accounts:organisation_list"), "organisations"))
        items.append(MenuItem(_("Cơ sở"), reverse("accounts:site_list"), "sites"))
    if scope.is_admin:
        items.append(MenuItem(_("Quản trị hệ thống"), reverse("admin:index"), "admin"))
    items.append(MenuItem(_("Tài khoản"), reverse("accounts:profile"), "profile"))
    return items
