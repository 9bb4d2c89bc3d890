"""Refusing, in one place, input that no field of the portal accepts."""

from django.shortcuts import render
from django.utils.translation import gettext as _

NUL = "\x00"


def _has_nul(querydict):
    return any(NUL in key or any(NUL in value for value in values) for key, values in querydict.lists())


class RejectNulMiddleware:
    """A NUL character (\\0) in a query string or a form field answers 400 with a page that says so.

    No text of the portal contains one, and PostgreSQL refuses it in any string (psycopg raises ValueError, which
    was a 500 wherever a query-string value reached a filter). Forms' text fields refuse it already; this covers
    every other field and every value a view reads itself. Uploaded files are read by their own parsers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request.GET) or (request.method == "POST" and _has_nul(request.POST)):
            message = _("The request contains a null character (\\0), which no field accepts. Remove it and try again.")
            return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)
