from django.urls import path

from . import views

app_name = "gis"

urlpatterns = [
    path("wards/", views.ward_options, name="ward_options"),
]
