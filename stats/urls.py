"""URLs of the statistics (the views module holds its patterns)."""

from .views.dashboards import urlpatterns

app_name = "stats"

__all__ = ["urlpatterns"]
