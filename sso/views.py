"""Sign-in pages: the password form (with the provider's button beside it), the start of the provider's
sign-in, its callback, sign-out, and the pages that say what went wrong.

mozilla-django-oidc's views do the protocol's bookkeeping: a random state per sign-in kept in the session with
its nonce and PKCE verifier (S256), matched and removed at the callback so it cannot be replayed, and a `next`
kept only when it points at this host. Portico's subclasses take the endpoints from the provider's discovery
document and turn every failure into a page that says what happened instead of an error 500.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django import forms
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.views.decorators.http import require_POST
from mozilla_django_oidc import views as oidc_views

from . import conf, mapping, provider
from .models import Identity

log = logging.getLogger(__name__)

# A callback whose state this session does not hold: another browser's link, or one used already (replayed).
NOT_STARTED_HERE = "this sign-in link is not one this browser started, or it was used already. Start again."


def _page(request, template, status, **context):
    return render(request, template, {"provider_name": conf.provider_name(), **context}, status=status)


class PasswordForm(AuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username")
        if username and not conf.password_login_allowed(username):
            raise forms.ValidationError(
                "Password sign-in is switched off here; sign in with %(provider)s.",
                code="password_login_off",
                params={"provider": conf.provider_name()},
            )
        return super().clean()


class LoginView(auth_views.LoginView):
    """Django's login page with the provider's button; the password form stays for `make run`'s demo users
    and for the break-glass accounts (PORTICO_PASSWORD_LOGIN, PORTICO_BREAK_GLASS_USERS)."""

    form_class = PasswordForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            sso_enabled=conf.enabled(),
            provider_name=conf.provider_name(),
            password_login=conf.password_login(),
            break_glass=bool(conf.break_glass_users()),
        )
        return context


class SignInView(oidc_views.OIDCAuthenticationRequestView):
    """Sends the browser to the provider's authorization endpoint (code flow, PKCE S256, state, nonce)."""

    get_settings = staticmethod(conf.library_setting)

    def __init__(self, *args, **kwargs):  # the library reads the endpoint here; Portico reads it per request
        super(oidc_views.OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not conf.enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider.metadata()["authorization_endpoint"]
        except provider.ProviderUnavailable as exc:
            log.warning("sso sign-in: provider unavailable: %s", exc)
            return _page(request, "sso/unavailable.html", 503)
        self.OIDC_RP_CLIENT_ID = conf.client_id()
        return super().get(request)


class CallbackView(oidc_views.OIDCAuthenticationCallbackView):
    """The provider's redirect back: state checked and spent, code exchanged, ID token verified, groups applied."""

    get_settings = staticmethod(conf.library_setting)

    def get(self, request):
        if not conf.enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            return super().get(request)
        except SuspiciousOperation as exc:  # the library's: a state this session did not start, or spent already
            log.warning("sso callback refused: %s", exc)
            return _page(request, "sso/failed.html", 400, reason=NOT_STARTED_HERE)
        except provider.TokenRejected as exc:
            log.warning("sso callback refused: %s", exc)
            return _page(request, "sso/failed.html", 400, reason=str(exc))
        except provider.ProviderUnavailable as exc:
            log.warning("sso callback: provider unavailable: %s", exc)
            return _page(request, "sso/unavailable.html", 503)

    def login_failure(self):
        error = self.request.GET.get("error_description") or self.request.GET.get("error")
        return _page(
            self.request,
            "sso/failed.html",
            400,
            reason=f"the provider answered: {error}" if error else NOT_STARTED_HERE,
        )

    def login_success(self):
        response = super().login_success()
        if not mapping.has_access(self.user):
            return HttpResponseRedirect(reverse("sso:no_access"))
        return response


@require_POST
def logout(request):
    """Ends the Portico session and, where the provider offers RP-initiated logout (an end_session_endpoint in
    its discovery document), the provider's session too. Dex has none, so with Dex only Portico's ends."""
    id_token = request.session.get("sso_id_token")
    target = resolve_url("login")
    if id_token and conf.enabled():
        try:
            end_session = provider.metadata().get("end_session_endpoint")
        except provider.ProviderUnavailable:
            end_session = None
        if end_session:
            target = f"{end_session}?" + urlencode(
                {
                    "id_token_hint": id_token,
                    "client_id": conf.client_id(),
                    "post_logout_redirect_uri": request.build_absolute_uri(resolve_url("login")),
                }
            )
    auth.logout(request)
    return HttpResponseRedirect(target)


@login_required
def no_access(request):
    """Signed in, but the provider's groups give no team and no role: say so, and which groups were seen."""
    identity = Identity.objects.filter(user=request.user).first()
    if identity is None:
        raise PermissionDenied
    return _page(
        request,
        "sso/no_access.html",
        200,
        groups=identity.groups,
        has_access=mapping.has_access(request.user),
        recheck_seconds=conf.recheck_seconds(),
    )


def failed(request):
    return _page(request, "sso/failed.html", 400, reason="the sign-in did not complete. Start again.")
