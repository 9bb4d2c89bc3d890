"""Reads for the accounts pages, always within the policy's scope."""

import hashlib
import time

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q

from gis.models import Province

from . import policy
from .models import Membership, Permit, Site, Vehicle


def provinces_for(user):
    ids = policy.visible_province_ids(user)
    provinces = Province.objects.all()
    return provinces if ids is None else provinces.filter(code__in=ids)


def drives_only(user):
    """A driver and nothing else (no other role, no jurisdiction, not an administrator): their work is the list
    of pickups and deliveries, where they land instead of the home page's figures."""
    scope = policy.scope_for(user)
    roles = set(scope.roles.values())
    return roles == {Membership.Role.DRIVER} and not (scope.is_official or scope.is_admin)


def home_summary(user):
    scope = policy.scope_for(user)
    memberships = (
        Membership.objects.filter(user=user, organisation__active=True)
        .select_related("organisation")
        .annotate(site_count=Count("organisation__sites", distinct=True))
        .order_by("organisation__name")
    )
    summary = {"memberships": memberships, "scope": scope}
    if scope.is_official or scope.is_admin:
        summary["official"] = {
            **official_figures(user),
            "province": getattr(getattr(user, "jurisdiction", None), "province", None),
        }
    if any(role == Membership.Role.DRIVER for role in scope.roles.values()):
        summary["vehicles"] = Vehicle.objects.filter(
            organisation_id__in=[org for org, role in scope.roles.items() if role == Membership.Role.DRIVER],
            active=True,
        )
    return summary


# The officials' home figures (organisations and sites in the jurisdiction) count tens of thousands of rows: they
# are kept in the cache under the registry's version, which every saved or deleted organisation or site moves
# (signals, accounts.apps), at once and again when its transaction commits. The lifetime bounds what changes
# without signals (bulk loads) could leave behind.
REGISTRY_VERSION_KEY = "accounts:registry-version"
OFFICIAL_FIGURES_SECONDS = 600


def _registry_version():
    version = cache.get(REGISTRY_VERSION_KEY)
    if version is None:
        cache.add(REGISTRY_VERSION_KEY, time.time_ns(), None)  # a version never used before
        version = cache.get(REGISTRY_VERSION_KEY)
    return version


def _bump_registry():
    try:
        cache.incr(REGISTRY_VERSION_KEY)
    except ValueError:  # no version yet: the next reader starts a new one
        pass


def forget_registry_figures(**kwargs):
    """An organisation or a site was saved or deleted: the officials' figures are counted again."""
    _bump_registry()
    transaction.on_commit(_bump_registry)


def _count_official_figures(user):
    # One pass over the sites for the three figures (no DISTINCT, no joins beyond the organisation).
    sites = Site.objects.filter(policy.site_q(user)).aggregate(
        site_count=Count("pk"),
        facility_count=Count("pk", filter=Q(organisation__is_facility=True)),
        generator_count=Count("pk", filter=Q(organisation__is_generator=True)),
    )
    return {"organisation_count": policy.visible_organisations(user).count(), **sites}


def official_figures(user):
    """Organisations and sites the user sees (site_count, generator_count, facility_count, organisation_count),
    from the cache while the registry is unchanged; the key is what the figures depend on (the jurisdiction, and
    the user's own organisations with their site limits)."""
    scope = policy.scope_for(user)
    version = _registry_version()
    if version is None:  # no cache (dummy backend): count every time
        return _count_official_figures(user)
    if scope.sees_everything:
        area = "all"
    else:
        limits = sorted((org, sorted(sites)) for org, sites in scope.site_limits.items())
        area = hashlib.sha256(repr((scope.province_id, sorted(scope.roles), limits)).encode()).hexdigest()[:32]
    key = f"official-figures:{version}:{area}"
    figures = cache.get(key)
    if figures is None:
        figures = _count_official_figures(user)
        cache.set(key, figures, OFFICIAL_FIGURES_SECONDS)
    return figures


def organisation_detail(user, organisation):
    sites = policy.visible_sites(user).filter(organisation=organisation).order_by("name")
    scope = policy.scope_for(user)
    is_member = organisation.pk in scope.roles
    context = {
        "organisation": organisation,
        "sites": sites,
        "can_manage": policy.can_manage_organisation(user, organisation),
        "my_role": scope.roles.get(organisation.pk),
        "act_roles": policy.ACT_ROLES,
        "permits": Permit.objects.filter(site__in=sites).select_related("site").prefetch_related("vehicles").order_by("-valid_until"),
        "vehicles": organisation.vehicles.order_by("plate"),
    }
    # Member lists are the organisation's own business (and the administrators').
    if is_member or scope.is_admin:
        context["members"] = (
            organisation.memberships.select_related("user").prefetch_related("sites").order_by("user__username")
        )
    return context
