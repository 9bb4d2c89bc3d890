"""URLs of the statistics (each views module holds its patterns)."""

from .views import dashboards, reports

app_name = "stats"

urlpatterns = dashboards.urlpatterns + reports.urlpatterns
