"""The manifests block of the home page (the home view lives in accounts, which must not import manifests)."""

from django import template
from django.db.models import Count, Q

from accounts import policy

from ..models import Status
from ..selectors import can_create

register = template.Library()


@register.inclusion_tag("manifests/partials/home_summary.html")
def manifest_summary(user):
    counts = policy.visible_manifests(user).aggregate(
        total=Count("pk"),
        **{status: Count("pk", filter=Q(status=status)) for status in Status.values},
        discrepancies=Count("pk", filter=Q(has_discrepancy=True)),
        overdue=Count("pk", filter=Q(overdue_since__isnull=False) & ~Q(status__in=[Status.COMPLETED, Status.REJECTED, Status.CANCELLED])),
    )
    rows = [(value, label, counts[value]) for value, label in Status.choices if counts[value]]
    return {
        "counts": counts,
        "rows": rows,
        # The same rule as the create view, so the button never leads to a 403.
        "can_create": can_create(user),
        "drives": bool(policy.organisations_with(user, "transporter", policy.TRANSPORT_ROLES)),
        "receives": bool(policy.organisations_with(user, "facility", policy.FOLLOW_ROLES)),
    }
