from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import views

admin.site.site_header = "HWMS"
admin.site.site_title = "HWMS"
admin.site.index_title = _("System administration")

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("accounts.urls")),
    path("manifests/", include("manifests.urls")),
    path("gis/", include("gis.urls")),
    path("stats/annual-reports/", include("stats.views.annual")),
    path("stats/", include("stats.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
