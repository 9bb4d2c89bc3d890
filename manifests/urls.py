"""Each view module owns its URL patterns; this file only joins them under the `manifests` namespace."""

from .views import documents, driver, excel, facility, generator, notifications, oversight, revisions

app_name = "manifests"

urlpatterns = [
    *generator.urlpatterns,
    *driver.urlpatterns,
    *facility.urlpatterns,
    *oversight.urlpatterns,
    *revisions.urlpatterns,
    *notifications.urlpatterns,
    *documents.urlpatterns,
    *excel.urlpatterns,
]
