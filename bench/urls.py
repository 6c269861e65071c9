"""Production URLs plus the floor views, mounted only by bench.settings."""
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns

from . import views

urlpatterns = [
    path("bench/floor/routes/", views.floor_route_page, name="bench-floor-list"),
    path("bench/floor/routes/<uuid:pk>/", views.floor_route_row, name="bench-floor-detail"),
    *portal_urlpatterns,
]
