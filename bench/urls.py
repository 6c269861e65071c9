"""Production URLs plus the floor views, mounted only by bench.settings."""

from django.urls import path

from portico.urls import urlpatterns as portico_urlpatterns

from . import views

urlpatterns = [
    path("bench/floor/routes/", views.floor_route_page, name="bench-floor-list"),
    path("bench/floor/routes/<uuid:pk>/", views.floor_route_row, name="bench-floor-detail"),
    *portico_urlpatterns,
]
