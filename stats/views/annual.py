"""Annual report pages: an enterprise's sites and their reports, preparing and submitting a report, a submitted
report with its versions, PDF and XLSX, and officials' register of submissions. Thin: the rules are in
stats.annual (services, selectors); scope comes from accounts.policy (404 outside it)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts import policy
from accounts.audit import RequestContext
from common.downloads import private_download
from common.integers import bounded_int

from ..annual import document_jobs, periods, selectors, services
from ..annual.documents import facts
from ..annual.forms import SubmitForm, entry_formset
from ..annual.tables import displayed, report_tables
from ..models import ExportJob

app_name = "annual_reports"
YEARS_SHOWN = 6


def _year(request):
    """The year asked for (?year=), a year that is over; the last one by default or when malformed."""
    year = bounded_int(request.GET.get("year"), 1, 9999)
    return year if year is not None and periods.reportable(year) else periods.last_closed_year()


def _years():
    last = periods.last_closed_year()
    return list(range(last, max(last - YEARS_SHOWN, periods.FIRST_YEAR - 1), -1))


def _shown(tables):
    return [{"table": table, "rows": rows, "footer": footer} for table in tables for rows, footer in [displayed(table)]]


@login_required
@require_GET
def report_list(request):
    """A member's sites with the state of the year's report; officials go to the register."""
    if policy.is_official(request.user):
        return redirect("annual_reports:register")
    year = _year(request)
    sites = list(selectors.member_sites(request.user))
    reports = selectors.current_reports(year, sites)
    rows = [{"site": site, "report": reports.get(site.pk), "may_submit": policy.acts_at(request.user, site.pk)} for site in sites]
    context = {"year": year, "years": _years(), "rows": rows, "deadline": periods.deadline(year), "late_now": periods.is_late(year, timezone.now())}
    return render(request, "stats/annual/list.html", context)


def _site_for_report(user, site_pk, year):
    """The site (404 outside the scope or when it files no report), checked for the right to submit (403)."""
    site = policy.get_site_for_user(user, site_pk)
    if not (site.organisation.is_generator or site.organisation.is_facility) or not periods.reportable(year):
        raise Http404(_("No annual report for this site and year."))
    if not policy.acts_at(user, site.pk):
        raise PermissionDenied(_("Only members of the organisation who may act for this site submit its report."))
    return site


def _initial_entries(latest, kind, content):
    """The previous version's entries (a correction starts from them), else the codes of the prefill."""
    if latest is not None:
        fields = services.entry_fields(kind)
        return [{"waste_code": row["waste_code"], **{key: row.get(key) for key in fields}} for row in latest.content["entered"]]
    prefill = content["prefill"]
    rows = prefill.get("handed_over", []) + prefill.get("stock", []) + prefill.get("received", [])
    return [{"waste_code": code} for code in sorted({row["waste_code"] for row in rows})]


def _preview(site, year):
    """What the portal knows of the site's year now, as report content without entries."""
    return services.build_content(site, year, form=SubmitForm.base_fields["form"].initial, entries=[])


@login_required
@require_http_methods(["GET", "POST"])
def prepare(request, site_pk, year):
    """The prefilled report of a site and year; the enterprise adds what the portal cannot know, signs with its
    password and submits (a new version when one was submitted already)."""
    site = _site_for_report(request.user, site_pk, year)
    kind = services.kind_of(site)
    latest = services.latest(site, year)
    post = request.POST if request.method == "POST" else None
    # What the portal knows now, shown above the form (a submission builds its own, in its transaction).
    preview = _preview(site, year) if post is None else None
    formset = entry_formset(kind, data=post, initial=None if post else _initial_entries(latest, kind, preview))
    form = SubmitForm(post)
    if post is not None and form.is_valid() and formset.is_valid():
        try:
            report = services.submit(
                request.user,
                site,
                year,
                form=form.cleaned_data["form"],
                entries=formset.entries(),
                note=form.cleaned_data["note"],
                password=form.cleaned_data["password"],
                context=RequestContext.from_request(request),
            )
        except services.ReportError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            message = _("The annual report %(year)s of %(site)s is submitted (version %(version)s).") % {
                "year": year,
                "site": site.name,
                "version": report.version,
            }
            if report.is_late:
                message += " " + _("It was submitted after the deadline and is marked late.")
            messages.success(request, message)
            return redirect("annual_reports:detail", report.pk)
    preview = preview or _preview(site, year)
    tables = [table for table in report_tables(preview) if table.key != "entered"]
    context = {
        "site": site,
        "year": year,
        "kind": kind,
        "tables": _shown(tables),
        "formset": formset,
        "form": form,
        "latest": latest,
        "deadline": periods.deadline(year),
        "late_now": periods.is_late(year, timezone.now()),
    }
    return render(request, "stats/annual/prepare.html", context)


@login_required
@require_GET
def detail(request, pk):
    report = selectors.get_report_for_user(request.user, pk)
    context = {
        "report": report,
        "facts": facts(report),
        "tables": _shown(report_tables(report.content)),
        "versions": selectors.versions(report),
        "may_submit": policy.acts_at(request.user, report.site_id) and periods.reportable(report.year),
    }
    return render(request, "stats/annual/detail.html", context)


@login_required
@require_GET
@never_cache
def document(request, pk, extension):
    """The PDF or XLSX of a report: a small one at once; a large one written by a job whose page shows the progress."""
    report = selectors.get_report_for_user(request.user, pk)
    if document_jobs.is_large(report):
        return redirect("annual_reports:document_job", document_jobs.start(request.user, report, extension).pk)
    render_document, content_type, inline = document_jobs.DOCUMENTS[extension]
    response = HttpResponse(render_document(report), content_type=content_type)
    return private_download(response, document_jobs.file_name(report, extension), inline=inline)


def _document_job(request, pk):
    """The user's own document job (404 for another's), its report still in the user's scope (404 otherwise)."""
    job = get_object_or_404(ExportJob, pk=pk, user=request.user, kind=document_jobs.KIND)
    return job, selectors.get_report_for_user(request.user, job.params["report"])


@never_cache
@login_required
@require_GET
def document_job(request, pk):
    job, report = _document_job(request, pk)
    template = "stats/annual/partials/document_job.html" if request.headers.get("HX-Request") else "stats/annual/document_job.html"
    return render(request, template, {"job": job, "report": report})


@never_cache
@login_required
@require_GET
def document_job_download(request, pk):
    job, report = _document_job(request, pk)
    if job.state != ExportJob.State.DONE or not job.file:
        raise Http404(_("The document is not ready."))
    _render, content_type, inline = document_jobs.DOCUMENTS[job.params["extension"]]
    return private_download(FileResponse(job.file.open("rb"), content_type=content_type), job.filename, inline=inline)


@login_required
@require_GET
def register(request):
    """Officials: per province in their scope, sites expected to report, submitted, on time, late, missing."""
    if selectors.register_provinces(request.user) is None:
        raise Http404
    year = _year(request)
    rows, total = selectors.register(request.user, year)
    context = {"year": year, "years": _years(), "rows": rows, "total": total, "deadline": periods.deadline(year)}
    return render(request, "stats/annual/register.html", context)


@login_required
@require_GET
def register_province(request, code):
    """Officials: one province's submissions (latest versions) and the sites that have not submitted."""
    province = selectors.get_register_province(request.user, code)
    year = _year(request)
    missing, missing_count = selectors.non_submitters(province, year)
    context = {
        "year": year,
        "years": _years(),
        "province": province,
        "submissions": list(selectors.province_submissions(province, year)),
        "missing": missing,
        "missing_count": missing_count,
        "shown_limit": selectors.NON_SUBMITTERS_SHOWN,
        "deadline": periods.deadline(year),
    }
    return render(request, "stats/annual/register_province.html", context)


urlpatterns = [
    path("", report_list, name="list"),
    path("site/<id:site_pk>/<id:year>/", prepare, name="prepare"),
    path("<id:pk>/", detail, name="detail"),
    path("<id:pk>/pdf/", document, {"extension": "pdf"}, name="pdf"),
    path("<id:pk>/xlsx/", document, {"extension": "xlsx"}, name="xlsx"),
    path("documents/<id:pk>/", document_job, name="document_job"),
    path("documents/<id:pk>/download/", document_job_download, name="document_job_download"),
    path("register/", register, name="register"),
    path("register/<id:code>/", register_province, name="register_province"),
]
