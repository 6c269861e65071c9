from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from sso import views as sso_views

# Admin pages of models that left the "portal" app for apps of their own: links already sent (the auto-approval
# e-mail names the team's admin page) and bookmarks still arrive at the old address.
MOVED_ADMIN = {
    "team": "teams",
    "teamnamespace": "teams",
    "teamwebhook": "notifications",
    "notificationdelivery": "notifications",
}


def moved_admin_page(request, model, rest):
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"/admin/{MOVED_ADMIN[model]}/{model}/{rest}" + (f"?{query}" if query else ""))


urlpatterns = [
    re_path(rf"^admin/portal/(?P<model>{'|'.join(MOVED_ADMIN)})/(?P<rest>.*)$", moved_admin_page),
    path("admin/", admin.site.urls),
    path("login/", sso_views.LoginView.as_view(), name="login"),
    path("logout/", sso_views.logout, name="logout"),
    path("sso/", include("sso.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the Content-Security-Policy forbids inline scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/", include("portico.api")),
    path("clusters/", include("clusters.urls")),
    path("", include("routes.urls")),
]
