from django.urls import path

from . import views

app_name = "sso"

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("callback/", views.CallbackView.as_view(), name="callback"),
    path("failed/", views.failed, name="failed"),
    path("no-access/", views.no_access, name="no_access"),
]
