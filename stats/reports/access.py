"""Who may generate and download which statistics report, through the access policy (accounts.policy): whoever
sees everything (central officials, administrators) the national report and every province's; a provincial
official their province's only; anyone else nothing (404, as any object outside a scope)."""

from dataclasses import dataclass

from django.db.models import Max
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from accounts import policy
from gis.models import Province

from ..models import StatisticsReport


@dataclass(frozen=True)
class ReportScope:
    national: bool  # the whole country's report, and every province's
    province_id: int | None = None  # otherwise this province's only

    def covers(self, province_id):
        """May the user read the report of `province_id` (None: the national one)?"""
        return self.national or (province_id is not None and province_id == self.province_id)

    def provinces(self):
        """The provinces whose reports are in the scope (Province rows, by code)."""
        provinces = Province.objects.order_by("code")
        return provinces if self.national else provinces.filter(pk=self.province_id)


def report_scope(user):
    """The user's ReportScope; 404 for users with no report in scope."""
    scope = policy.scope_for(user)
    if scope.sees_everything:
        return ReportScope(national=True)
    if scope.province_id is not None:
        return ReportScope(national=False, province_id=scope.province_id)
    raise Http404(_("There is no such report."))


def get_report_for_user(user, pk):
    report = get_object_or_404(StatisticsReport.objects.select_related("province"), pk=pk)
    if not report_scope(user).covers(report.province_id):
        raise Http404(_("There is no such report."))
    return report


def latest_reports(user, year):
    """The newest report of each place in the user's scope for `year`: the national one first (when in scope),
    then the provinces by code."""
    scope = report_scope(user)
    reports = StatisticsReport.objects.filter(year=year)
    if not scope.national:
        reports = reports.filter(province=scope.province_id)
    newest = reports.values("province").annotate(last=Max("pk")).order_by().values_list("last", flat=True)
    reports = StatisticsReport.objects.filter(pk__in=list(newest)).select_related("province")
    return sorted(reports, key=lambda report: (report.province_id is not None, report.province_id or 0))
