"""Reads for the accounts pages, always within the policy's scope."""

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
        # One pass over the sites for the three figures (no DISTINCT, no joins beyond the organisation).
        sites = Site.objects.filter(policy.site_q(user)).aggregate(
            site_count=Count("pk"),
            facility_count=Count("pk", filter=Q(organisation__is_facility=True)),
            generator_count=Count("pk", filter=Q(organisation__is_generator=True)),
        )
        summary["official"] = {
            "organisation_count": policy.visible_organisations(user).count(),
            **sites,
            "province": getattr(getattr(user, "jurisdiction", None), "province", None),
        }
    if any(role == Membership.Role.DRIVER for role in scope.roles.values()):
        summary["vehicles"] = Vehicle.objects.filter(
            organisation_id__in=[org for org, role in scope.roles.items() if role == Membership.Role.DRIVER],
            active=True,
        )
    return summary


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
