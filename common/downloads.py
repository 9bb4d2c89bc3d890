"""Private downloads (exports, PDFs, spreadsheets): named for the browser, and never kept by a browser or proxy
cache — they hold one user's data. Each one is recorded in the downloader's audit chain
(accounts.middleware reads the mark set here: this layer does not write the audit log itself)."""

from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header


def private_download(response, filename, inline=False):
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    add_never_cache_headers(response)  # Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private
    response.hwms_private_download = filename
    return response
