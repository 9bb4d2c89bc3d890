"""URLs of the statistics (the views module holds its patterns)."""

from .views import urlpatterns

app_name = "stats"

__all__ = ["urlpatterns"]
