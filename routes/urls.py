from django.urls import path

from .views import admission, adoption, editing, pages, reviews

app_name = "routes"

urlpatterns = [
    path("", pages.dashboard, name="dashboard"),
    path("routes/", pages.route_list, name="list"),
    path("routes/new/", editing.route_create, name="create"),
    path("routes/new/validate/", editing.route_validate, name="validate"),
    path("routes/new/offers/", editing.cluster_offers, name="cluster_offers"),
    path("routes/<uuid:pk>/", pages.route_detail, name="detail"),
    path("routes/<uuid:pk>/edit/", editing.route_edit, name="edit"),
    path("routes/<uuid:pk>/edit/validate/", editing.route_validate, name="validate_edit"),
    path("routes/<uuid:pk>/delete/", editing.route_delete, name="delete"),
    path("reviews/", reviews.review_queue, name="review_queue"),
    path("reviews/count/", reviews.review_count, name="review_count"),
    path("reviews/<uuid:pk>/approve/", reviews.review_approve, name="approve"),
    path("reviews/<uuid:pk>/reject/", reviews.review_reject, name="reject"),
    path("reviews/<uuid:pk>/dry-run/", admission.review_dry_run, name="review_dry_run"),
    path("clusters/<slug:name>/adopt/", adoption.adopt_ingresses, name="adopt"),
]
