"""API token authentication that re-checks a provider user's groups first (sso.recheck): a token whose user
the provider dropped, or whose groups give nothing any more, stops working at that request."""
from rest_framework import exceptions
from rest_framework.authtoken.models import Token

from core.signin import ThrottledTokenAuthentication

from .recheck import CHANGED, CHECKED, SIGNED_OUT, recheck


class TokenAuthentication(ThrottledTokenAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        # The token is looked up again only when the provider was asked (no query otherwise).
        if recheck(user) in (CHECKED, CHANGED, SIGNED_OUT) and not Token.objects.filter(pk=token.pk).exists():
            raise exceptions.AuthenticationFailed(
                "This token was revoked: your identity provider no longer gives you access to Portico. Sign in again.")
        return user, token
