"""The statistics reports page: officials pick a year, generate the report PDFs in their scope (a Celery job whose
progress the page shows) and download the newest of each place. Thin: the rules are in stats.reports (access,
jobs); scope through accounts.policy (404 outside it)."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.audit import RequestContext
from common.downloads import private_download
from common.integers import bounded_int
from gis.models import Province

from .. import selectors
from ..models import ExportJob
from ..reports import access, jobs

YEARS_SHOWN = 6
JOBS_SHOWN = 5


def _province(value, scope):
    """The province asked for (a code in the user's scope), else None."""
    code = bounded_int(value, 1, 999)
    if code is None:
        return None
    if not scope.covers(code):
        raise Http404
    return Province.objects.filter(pk=code).first()


@never_cache
@login_required
@require_GET
def reports(request):
    scope = access.report_scope(request.user)
    year = selectors.year_from(request.GET.get("year"))
    this_year = timezone.localdate().year
    province = _province(request.GET.get("province"), scope)
    if province is None and not scope.national:
        province = scope.provinces().first()
    context = {
        "year": year,
        "years": list(range(this_year, this_year - YEARS_SHOWN, -1)),
        "national": scope.national,
        "province": province,
        "provinces_count": scope.provinces().count(),
        "reports": access.latest_reports(request.user, year),
        "jobs": list(ExportJob.objects.filter(user=request.user, kind=jobs.KIND, params__year=year)[:JOBS_SHOWN]),
    }
    return render(request, "stats/reports.html", context)


@login_required
@require_POST
def generate(request):
    """Start a report job: one province's report (`province`), or every report in the user's scope."""
    scope = access.report_scope(request.user)
    year = selectors.year_from(request.POST.get("year"))
    province = _province(request.POST.get("province"), scope)
    jobs.start(request.user, year, province.pk if province else None, context=RequestContext.from_request(request))
    query = {"year": year, **({"province": province.pk} if province else {})}
    return redirect(f"{reverse('stats:reports')}?{urlencode(query)}")


@never_cache
@login_required
@require_GET
def job(request, pk):
    """A report job's progress and the documents written so far (polled by the page while it runs)."""
    report_job = get_object_or_404(ExportJob, pk=pk, user=request.user, kind=jobs.KIND)  # another user's: 404
    return render(request, "stats/partials/report_job.html", {"job": report_job, "written": report_job.reports.select_related("province")})


@login_required
@require_GET
def download(request, pk):
    report = access.get_report_for_user(request.user, pk)
    response = FileResponse(report.file.open("rb"), content_type="application/pdf")
    return private_download(response, report.filename)


urlpatterns = [
    path("reports/", reports, name="reports"),
    path("reports/generate/", generate, name="reports_generate"),
    path("reports/jobs/<id:pk>/", job, name="report_job"),
    path("reports/<id:pk>/download/", download, name="report_download"),
]
