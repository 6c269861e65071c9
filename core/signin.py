"""Sign-in throttling (docs/security.md, "Sign-in throttling"): whose address a request comes from, and failed
API token authentications counted against the anonymous rate.

Password guessing at /login/ and the admin's login is django-axes' job (settings.py, ``AXES_*``): it locks a
username out for one client address after PORTICO_LOGIN_FAILURE_LIMIT failures, for
PORTICO_LOGIN_COOLOFF_MINUTES. An API token is checked by DRF before any throttle runs, so a bad token used
to answer 401 at any rate; ``ThrottledTokenAuthentication`` counts those failures per client address and,
past the anonymous rate, answers 429 with Retry-After without looking at the token.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.module_loading import import_string
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.throttling import SimpleRateThrottle

if TYPE_CHECKING:
    # For annotations only: DRF's settings import this module, and rest_framework.views imports those settings.
    from rest_framework.request import Request
    from rest_framework.views import APIView


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or with PORTICO_TRUSTED_PROXIES = n reverse proxies in front, the
    address the n-th proxy from the right of X-Forwarded-For saw (the same rule as DRF's NUM_PROXIES, which the
    API throttles use). Earlier X-Forwarded-For entries are the client's to invent, so they are never trusted."""
    remote: str = request.META.get("REMOTE_ADDR", "")
    proxies: int = settings.PORTICO_TRUSTED_PROXIES
    forwarded: str | None = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-min(proxies, len(hops))] if hops else remote


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The page django-axes answers a locked-out sign-in with (AXES_LOCKOUT_CALLABLE): 429, saying for how
    long and how to get unlocked, with Retry-After."""
    from axes.helpers import get_client_username, get_cool_off, get_failure_limit

    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    response = render(
        request,
        "registration/locked_out.html",
        {
            "failure_limit": get_failure_limit(request, credentials),
            "username": get_client_username(request, credentials) or "",
            "minutes": minutes,
        },
        status=429,
    )
    if cool_off:
        response["Retry-After"] = str(math.ceil(cool_off.total_seconds()))
    return response


class FailedTokenThrottle(SimpleRateThrottle):
    """Failed token authentications per client address, at the anonymous rate ("anon")."""

    scope = "anon"
    cache_format = "throttle_failed_token_%(ident)s"
    # Set by SimpleRateThrottle.__init__ from the rate; djangorestframework-stubs does not declare them.
    duration: int
    num_requests: int

    def get_cache_key(self, request: Request, view: APIView | None = None) -> str:
        return self.cache_format % {"ident": client_address(request)}

    def over_limit(self, request: Request) -> float | None:
        """Seconds until the next attempt may be checked, or None while under the limit."""
        if self.rate is None:
            return None
        self.key = self.get_cache_key(request)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return self.wait() if len(self.history) >= self.num_requests else None

    def record_failure(self, request: Request) -> None:
        if self.rate is None:
            return
        self.over_limit(request)  # loads the current history
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


class ThrottledTokenAuthentication(TokenAuthentication):
    """Token authentication whose failures count against the anonymous rate per client address: past it, any
    token from that address answers 429 with Retry-After until the window moves on, so guessing is as slow as
    the rate; good tokens do not count, and other addresses are not affected."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() != self.keyword.lower().encode():
            return None  # no token offered: nothing to count
        throttle = FailedTokenThrottle()
        wait = throttle.over_limit(request)
        if wait is not None:
            raise exceptions.Throttled(wait, detail="Too many failed token authentications from your address.")
        try:
            result = super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle.record_failure(request)
            raise
        if result is None:  # TokenAuthentication answers None only without a token header, checked above
            return None
        for check in token_checks():  # may raise AuthenticationFailed for a token that stopped being good
            check(*result)
        return result


def token_checks() -> list[Callable[[Any, Any], None]]:
    """PORTICO_TOKEN_CHECKS: functions (dotted paths) called with (user, token) after a token authenticated;
    one raises AuthenticationFailed to refuse it. Single sign-on's re-check is one (sso.authentication)."""
    return [import_string(path) for path in getattr(settings, "PORTICO_TOKEN_CHECKS", ())]
