from django.urls import path

from . import views

app_name = "routes"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("routes/", views.route_list, name="list"),
    path("routes/new/", views.route_create, name="create"),
    path("routes/new/validate/", views.route_validate, name="validate"),
    path("routes/new/offers/", views.cluster_offers, name="cluster_offers"),
    path("routes/<uuid:pk>/", views.route_detail, name="detail"),
    path("routes/<uuid:pk>/edit/", views.route_edit, name="edit"),
    path("routes/<uuid:pk>/edit/validate/", views.route_validate, name="validate_edit"),
    path("routes/<uuid:pk>/delete/", views.route_delete, name="delete"),
    path("reviews/", views.review_queue, name="review_queue"),
    path("reviews/count/", views.review_count, name="review_count"),
    path("reviews/<uuid:pk>/approve/", views.review_approve, name="approve"),
    path("reviews/<uuid:pk>/reject/", views.review_reject, name="reject"),
    path("clusters/<slug:name>/adopt/", views.adopt_ingresses, name="adopt"),
]
