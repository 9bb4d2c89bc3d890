from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .models import Ward


@login_required
def ward_options(request):
    """<option> list of the wards of one province, swapped into the site form's ward select by htmx."""
    province = request.GET.get("province", "")
    wards = Ward.objects.filter(province_id=int(province)).only("code", "name") if province.isdigit() else Ward.objects.none()
    return render(request, "gis/ward_options.html", {"wards": wards})
