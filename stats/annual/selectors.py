"""Reading annual reports within the access policy, and the register of who has and has not submitted.

Who must file for a year: every site that handed waste over under a manifest in the year (picked up in it) or
received waste as a facility in it, and every active site of an active generator or treatment facility that
existed before the year ended. The register counts them per province of the site with a fixed number of queries
whatever the number of sites.
"""

from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import Site
from gis.models import Province

from ..models import AnnualReport
from . import obligations

NON_SUBMITTERS_SHOWN = 500


def visible_reports(user):
    """Reports of the sites the user may see (members: their sites; provincial officials: the province's sites;
    central officials and administrators: all)."""
    return AnnualReport.objects.filter(policy.site_q(user, "site"))


def get_report_for_user(user, pk):
    report = visible_reports(user).select_related("site", "organisation", "submitted_by", "supersedes").filter(pk=pk).first()
    if report is None:
        raise Http404(_("Annual report not found."))
    return report


def versions(report):
    """Every version of the report's site and year, newest first."""
    return list(AnnualReport.objects.filter(site_id=report.site_id, year=report.year).select_related("submitted_by").order_by("-version"))


def member_sites(user):
    """The sites whose reports the user follows as a member (drivers excluded), of generators and facilities."""
    return (
        Site.objects.filter(policy.site_q(user, roles=policy.FOLLOW_ROLES, for_action=True))
        .filter(Q(organisation__is_generator=True) | Q(organisation__is_facility=True))
        .select_related("organisation", "province")
        .order_by("organisation__name", "name")
    )


def current_reports(year, sites):
    """{site id: the latest version} of the year for the given sites, one query."""
    rows = AnnualReport.objects.filter(year=year, site__in=sites, superseded_by__isnull=True)
    return {report.site_id: report for report in rows}


def register_provinces(user):
    """The provinces whose register the user may read (officials and administrators), or None for nobody."""
    scope = policy.scope_for(user)
    if not (scope.is_official or scope.is_admin):
        return None
    ids = policy.visible_province_ids(user)
    provinces = Province.objects.order_by("code")
    return provinces if ids is None else provinces.filter(pk__in=ids)


def register(user, year):
    """Per province in the user's scope: {province, expected, submitted, on_time, late, missing, rate} (rate in
    percent, None without expected sites), and the totals (with `refreshed_at`, when the obligations were
    computed). A fixed number of queries."""
    provinces = register_provinces(user)
    if provinces is None:
        raise Http404
    provinces = list(provinces)
    counts = {
        row["province_id"]: row
        for row in obligations.of_year(year)
        .filter(province__in=provinces)
        .values("province_id")
        .annotate(
            expected=Count("pk"),
            submitted_count=Count("pk", filter=Q(submitted=True)),
            on_time_count=Count("pk", filter=Q(on_time=True)),
        )
        .order_by()
    }
    rows = [_register_row(province, counts.get(province.pk, {})) for province in provinces]
    total = _register_row(None, {key: sum(row[key] for row in rows) for key in ("expected", "submitted_count", "on_time_count")})
    total["refreshed_at"] = obligations.refreshed_at(year)
    return rows, total


def _register_row(province, counts):
    expected, submitted, on_time = (counts.get(key, 0) for key in ("expected", "submitted_count", "on_time_count"))
    return {
        "province": province,
        "expected": expected,
        "submitted_count": submitted,
        "on_time_count": on_time,
        "late": submitted - on_time,
        "missing": expected - submitted,
        "rate": round(100 * submitted / expected, 1) if expected else None,
    }


def get_register_province(user, code):
    provinces = register_provinces(user)
    province = provinces.filter(pk=code).first() if provinces is not None else None
    if province is None:
        raise Http404(_("Province not found."))
    return province


def province_submissions(province, year):
    """The latest version of each report of the year filed for the province's sites, with `on_time` (some
    version was submitted before the deadline)."""
    return (
        AnnualReport.objects.filter(year=year, site__province=province, superseded_by__isnull=True)
        .annotate(on_time=Exists(AnnualReport.objects.filter(site=OuterRef("site"), year=year, is_late=False)))
        .select_related("site", "organisation", "submitted_by")
        .order_by("organisation__name", "site__name")
    )


def non_submitters(province, year, limit=NON_SUBMITTERS_SHOWN):
    """(the first `limit` sites by name, how many in all) of the province's sites expected to file for the year
    that have not."""
    missing = obligations.of_year(year).filter(province=province, submitted=False)
    first = missing.select_related("site__organisation").order_by("organisation__name", "site__name")[:limit]
    return [obligation.site for obligation in first], missing.count()
