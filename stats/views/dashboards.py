"""Statistics pages: thin views over stats.selectors (rollups only), scoped by accounts.policy."""

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts import policy

from .. import exports, selectors
from ..models import ExportJob

TABLE_TEMPLATE = "stats/partials/table.html"


def _year(request):
    return selectors.year_from(request.GET.get("year"))


def _export_or_render(request, template, context, tables):
    """?export=xlsx|csv&table=<name> answers the table as a private download; otherwise the page."""
    fmt, name = request.GET.get("export"), request.GET.get("table")
    if fmt:
        table = next((t for t in tables if t.name == name), None)
        if fmt not in exports.FORMATS or table is None:
            raise Http404(_("There is no such table."))
        content, content_type = exports.export_table(table, fmt)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{table.name}-{context["year"]}.{fmt}"'
        response["Cache-Control"] = "private, no-store"
        return response
    response = render(request, template, context)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def home(request):
    """The statistics entry of the menu: officials to the dashboard, enterprises to their own figures."""
    scope = policy.scope_for(request.user)
    if scope.is_official or scope.is_admin:
        return redirect("stats:dashboard")
    for kind, view in (("facility", "stats:facility"), ("generator", "stats:enterprise")):
        organisations = policy.organisations_with(request.user, kind, policy.FOLLOW_ROLES)
        if organisations:
            return redirect(view, organisations[0].pk)
    raise Http404(_("There is no such dashboard."))


def _tables_html(figures, query):
    """Each table of the dashboard rendered (chart data, table, export links), from the cache under its section's
    key (stats.selectors.dashboard_figures: the version counters, the language and the filters are in it)."""
    keys = {table.name: f"{figures.keys[table.name]}:html:{table.name}" for table in figures.tables}
    found = cache.get_many(list(keys.values()))
    rendered = {}
    for table in figures.tables:
        if keys[table.name] not in found:
            html = render_to_string(TABLE_TEMPLATE, {"table": table, "chart_id": f"chart-{table.name}", "query": query})
            rendered[keys[table.name]] = found[keys[table.name]] = html
    if rendered:
        cache.set_many(rendered, selectors.SECTION_SECONDS)
    return [mark_safe(found[keys[table.name]]) for table in figures.tables]  # noqa: S308 (rendered by the template)


@login_required
@require_GET
def dashboard(request):
    filters = selectors.filters_from(request.GET, request.user)
    figures = selectors.dashboard_figures(filters)
    tables = figures.tables
    by_name = {table.name: table for table in tables}
    query = filters.query()
    context = {
        "filters": filters,
        "year": filters.year,
        "query": query,
        "totals": figures.totals,
        "tables": tables,
        "by_name": by_name,
        "over_capacity": selectors.over_capacity(by_name["facilities"]),
        "compliance": selectors.compliance_counts(request.user),
        "choices": figures.choices,
        "national": policy.scope_for(request.user).sees_everything,
        "province_name": dict(figures.choices["provinces"]).get(filters.province),
    }
    if not request.GET.get("export"):
        context["tables_html"] = _tables_html(figures, query)
    return _export_or_render(request, "stats/dashboard.html", context, tables)


def _organisation_page(request, pk, kind, figures):
    organisation = policy.get_organisation_for_user(request.user, pk)  # 404 outside the scope
    if not getattr(organisation, f"is_{kind}"):
        raise Http404(_("Organisation not found."))
    year = _year(request)
    tables = figures(request.user, organisation, year)
    context = {"organisation": organisation, "year": year, "tables": tables, "query": {"year": year}, "is_facility": kind == "facility"}
    return _export_or_render(request, "stats/organisation.html", context, tables)


@login_required
@require_GET
def enterprise(request, pk):
    """A generator's figures by year, site and code (the sites the user may see)."""
    return _organisation_page(request, pk, "generator", selectors.enterprise)


@login_required
@require_GET
def facility(request, pk):
    """A facility's intake by generator and province of origin, treatment by method, stock and capacity."""
    return _organisation_page(request, pk, "facility", selectors.facility)


@login_required
@require_POST
def export_lines(request):
    """Start the export of a year of manifest lines in the user's scope (a Celery job with progress)."""
    scope = policy.scope_for(request.user)
    if scope.is_official or scope.is_admin:
        filters = selectors.filters_from(request.POST, request.user)
        year, province = filters.year, filters.province
    else:
        year, province = selectors.year_from(request.POST.get("year")), None
    job = exports.start_lines_export(request.user, year, province)
    if job is None:
        raise Http404(_("There is no such export."))
    return redirect("stats:job", job.pk)


def _job(request, pk):
    return get_object_or_404(ExportJob, pk=pk, user=request.user)  # another user's job: 404


@never_cache
@login_required
@require_GET
def job(request, pk):
    export = _job(request, pk)
    template = "stats/partials/job_progress.html" if request.headers.get("HX-Request") else "stats/job.html"
    return render(request, template, {"job": export})


@never_cache
@login_required
@require_GET
def job_download(request, pk):
    export = _job(request, pk)
    if export.state != ExportJob.State.DONE or not export.file:
        raise Http404(_("The export is not ready."))
    response = FileResponse(export.file.open("rb"), as_attachment=True, filename=export.filename, content_type="text/csv; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("", home, name="home"),
    path("dashboard/", dashboard, name="dashboard"),
    path("enterprise/<id:pk>/", enterprise, name="enterprise"),
    path("facility/<id:pk>/", facility, name="facility"),
    path("exports/lines/", export_lines, name="export_lines"),
    path("exports/<id:pk>/", job, name="job"),
    path("exports/<id:pk>/download/", job_download, name="job_download"),
]
