"""`make run`'s "Sign in with Dex" (sso/demo.py, started by runall): the provider comes up on the ports and CA
the web process was given, and the demo's group settings map its people to the demo's teams."""

import environ
import pytest
import requests

from core.access import is_platform
from sso import mapping, provider
from sso.backends import groups_from
from sso.demo import DemoIdP

from .conftest import PERSON

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    idp = DemoIdP("127.0.0.1:8000")
    yield idp
    idp.stop()


def test_the_demo_provider_serves_where_the_web_process_was_told(demo, settings, shop, other_team, django_user_model):
    env = demo.env()
    assert "http://127.0.0.1:8000/sso/callback/" in demo.idp.redirect_uris

    demo.start()
    assert demo.ready.wait(60), demo.error

    discovery = requests.get(
        f"{env['PORTICO_OIDC_ISSUER']}/.well-known/openid-configuration",
        verify=env["PORTICO_OIDC_CA_BUNDLE"],
        timeout=10,
    ).json()
    assert discovery["issuer"] == env["PORTICO_OIDC_ISSUER"]
    parsed = environ.Env()  # read the way portico/settings.py reads the variables runall passes on
    settings.PORTICO_OIDC_TEAM_GROUPS = parsed.parse_value(env["PORTICO_OIDC_TEAM_GROUPS"], dict)
    settings.PORTICO_OIDC_PLATFORM_GROUPS = parsed.parse_value(env["PORTICO_OIDC_PLATFORM_GROUPS"], list)
    for name in (
        "PORTICO_OIDC_ISSUER",
        "PORTICO_OIDC_CLIENT_ID",
        "PORTICO_OIDC_CLIENT_SECRET",
        "PORTICO_OIDC_CA_BUNDLE",
    ):
        setattr(settings, name, env[name])
    provider.reset_cache()
    try:
        for uid, team, platform in (("alice", "shop", False), ("bob", "blog", False), ("pat", None, True)):
            token = demo.idp.password_grant(PERSON[uid])["id_token"]
            user = django_user_model.objects.create_user(uid)
            mapping.apply_groups(user, groups_from(provider.verify_id_token(token, nonce=None)), reason="sign-in")
            assert list(user.teams.values_list("slug", flat=True)) == ([team] if team else [])
            assert is_platform(user) == platform
    finally:
        provider.reset_cache()
