from django.urls import path

from . import views

app_name = "gis"

urlpatterns = [
    path("wards/", views.ward_options, name="ward_options"),
    path("wards/search/", views.ward_search, name="ward_search"),
    path("provinces.geojson", views.province_layer, name="province_layer"),
    path("maps/sites/", views.sites_map, name="sites_map"),
    path("maps/sites.geojson", views.sites_geojson, name="sites_geojson"),
    path("maps/provinces/", views.choropleth, name="choropleth"),
    path("maps/flows/", views.flows, name="flows"),
]
