"""The API token check single sign-on adds (PORTICO_TOKEN_CHECKS, run by core.signin's token authentication): a
provider user's groups are re-checked first when due (sso.recheck), and a token whose user the provider dropped,
or whose groups give nothing any more, stops working at that request."""

from rest_framework import exceptions
from rest_framework.authtoken.models import Token

from .recheck import CHANGED, CHECKED, SIGNED_OUT, recheck


def check_token(user, token) -> None:
    # The token is looked up again only when the provider was asked (no query otherwise).
    if recheck(user) in (CHECKED, CHANGED, SIGNED_OUT) and not Token.objects.filter(pk=token.pk).exists():
        raise exceptions.AuthenticationFailed(
            "This token was revoked: your identity provider no longer gives you access to Portico. Sign in again."
        )
