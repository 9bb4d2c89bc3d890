"""Excel: the line template, importing lines into a draft (upload → preview → confirm), and the export
of the manifest list as XLSX or CSV. Reading and cleaning are in manifests/line_import.py, writing in
manifests/exports.py; the draft is changed only through services.update_draft."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from common.downloads import private_download
from common.pagination import capped_count
from common.spreadsheets import SpreadsheetError, XLSXExport

from .. import exports, line_import, rules, selectors, services
from ..filters import ManifestFilter
from ..models import Manifest
from .common import TransitionError, detail_url, manifest_for_action, request_context


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File to import"),
        help_text=gettext_lazy("The line template filled in, as XLSX or CSV; at most 500 lines and 2 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > line_import.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return uploaded


# --- template ----------------------------------------------------------------------------------------


@login_required
@require_GET
def import_template(request):
    response = HttpResponse(line_import.build_template(), content_type=XLSXExport().get_content_type())
    return private_download(response, "hwms-manifest-lines.xlsx")


# --- import ------------------------------------------------------------------------------------------


def _draft_for_import(request, pk):
    """(manifest, None) when the user may import into it; (None, redirect) when it is no longer a draft.

    404 outside the user's scope, 403 when the rules do not let the user change the draft's lines.
    """
    manifest = manifest_for_action(request.user, pk, "import_lines")
    if manifest.status not in rules.RULES["import_lines"].statuses:
        messages.warning(
            request,
            _("Manifest %(number)s is no longer a draft: lines can no longer be imported.") % {"number": manifest.number},
        )
        return None, redirect(detail_url(manifest))
    return manifest, None


def _render_form(request, manifest, form, errors=(), status=200):
    context = {
        "manifest": manifest,
        "form": form,
        "errors": errors,
        "detail_url": detail_url(manifest),
        "max_rows": line_import.MAX_IMPORT_ROWS,
    }
    return render(request, "manifests/excel/import_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def import_lines(request, pk):
    manifest, response = _draft_for_import(request, pk)
    if response:
        return response
    if request.method == "POST" and request.POST.get("action") == "confirm":
        return _confirm(request, manifest)
    if request.method == "GET":
        return _render_form(request, manifest, UploadForm())

    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_form(request, manifest, form)
    try:
        dataset = line_import.read_upload(form.cleaned_data["file"])
        rows = line_import.LineImportResource(manifest=manifest).validate(dataset)
    except SpreadsheetError as error:
        form.add_error("file", error.message)
        return _render_form(request, manifest, form)
    bad = [row for row in rows if not row.ok]
    context = {
        "manifest": manifest,
        "rows": rows,
        "bad_count": len(bad),
        "columns": line_import.COLUMNS,
        "existing_count": manifest.lines.count(),
        "payload": "" if bad else line_import.sign_rows(rows, manifest, request.user),
        "form": UploadForm(),
        "detail_url": detail_url(manifest),
        "file_name": form.cleaned_data["file"].name,
    }
    return render(request, "manifests/excel/import_preview.html", context)


def _confirm(request, manifest):
    """Append the previewed lines to the draft: everything in one transaction, or nothing."""
    try:
        previewed_version, new_lines = line_import.unsign_rows(request.POST.get("payload"), manifest, request.user)
    except signing.BadSignature:
        errors = [_("The preview has expired or was changed. Upload the file again; nothing was saved.")]
        return _render_form(request, manifest, UploadForm(), errors=errors, status=400)
    try:
        manifest = services.append_lines(
            request.user, manifest, new_lines, previewed_version=previewed_version, context=request_context(request)
        )
    except TransitionError as error:
        errors = [error.message, *error.errors.values()]
        return _render_form(request, manifest, UploadForm(), errors=errors, status=400)
    messages.success(
        request,
        ngettext(
            "%(count)d line was added to draft %(number)s.",
            "%(count)d lines were added to draft %(number)s.",
            len(new_lines),
        )
        % {"count": len(new_lines), "number": manifest.number},
    )
    return redirect(detail_url(manifest))


# --- export ------------------------------------------------------------------------------------------


@login_required
@require_GET
def export(request):
    """The list's manifests with its filters: CSV streamed row by row, XLSX built in memory; both at most
    EXPORT_LIMIT rows, checked with a capped count."""
    fmt = request.GET.get("format", "xlsx")
    if fmt not in exports.EXPORT_FORMATS:
        fmt = "xlsx"
    rows = ManifestFilter(request.GET, queryset=selectors.scope_rows(request.user), request=request).qs
    count, capped = capped_count(rows, exports.EXPORT_LIMIT)
    if capped:
        messages.error(
            request,
            _("More than %(max)s manifests match; an export holds at most %(max)s. Narrow the filters (for example the dates) and export again.")
            % {"max": exports.EXPORT_LIMIT},
        )
        return redirect("manifests:list")
    queryset = exports.export_queryset(Manifest.objects.filter(pk__in=rows.values("manifest_id")))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        response = StreamingHttpResponse(exports.stream_manifests_csv(queryset), content_type="text/csv; charset=utf-8")
    else:
        content, content_type, _extension = exports.export_manifests(queryset, fmt)
        response = HttpResponse(content, content_type=content_type)
    return private_download(response, f"hwms-manifests-{stamp}.{fmt}")


urlpatterns = [
    path("lines/template.xlsx", import_template, name="import_template"),
    path("<id:pk>/lines/import/", import_lines, name="import_lines"),
    path("export/", export, name="export"),
]
