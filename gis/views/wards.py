from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from common.integers import MAX_SMALL, bounded_int

from ..models import Ward

MAX_PROVINCE_CODE = MAX_SMALL  # Province.code is a PositiveSmallIntegerField


def _province_code(value):
    """The province code in a query-string value, or None for anything else (empty, '1a', '²', '-1', 10**30)."""
    return bounded_int(value, 1, MAX_PROVINCE_CODE)


@login_required
def ward_options(request):
    """<option> list of the wards of one province, swapped into the site form's ward select by htmx.

    GET ?province=CODE. An unknown or malformed code gives the placeholder option alone, never an error.
    """
    code = _province_code(request.GET.get("province"))
    wards = Ward.objects.filter(province_id=code).only("code", "name") if code else Ward.objects.none()
    return render(request, "gis/ward_options.html", {"wards": wards})
