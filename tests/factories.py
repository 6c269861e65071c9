"""Test data in its roles: platform engineers, team members, another team, clusters and routes.

Routes are made through routes.services so every test starts from states the product can reach.
"""

import pytest
from django.contrib.auth.models import Group, User

from clusters.models import Cluster
from routes import services
from routes.domain.values import TLS, Backend, RouteSpec
from teams.models import Team, TeamNamespace


def make_user(username: str, *, platform: bool = False, teams=()) -> User:
    user = User.objects.create_user(username, password="pw-" + username)
    if platform:
        user.groups.add(Group.objects.get_or_create(name="platform")[0])
    for team in teams:
        team.members.add(user)
    return user


def make_team(slug: str, *, domains, namespaces, **flags) -> Team:
    team = Team.objects.create(slug=slug, name=slug.title(), domains=list(domains), **flags)
    for cluster, namespace in namespaces:
        TeamNamespace.objects.create(team=team, cluster=cluster, namespace=namespace)
    return team


def spec(host="cart.shop.example.com", path="/", **kwargs) -> RouteSpec:
    backend = kwargs.pop("backend", Backend(service_name="cart", service_port=8080))
    tls = kwargs.pop("tls", TLS())
    return RouteSpec(host=host, path=path, backend=backend, tls=tls, **kwargs)


def stored_before_the_rule(route, backend: Backend):
    """Give ``route``'s revisions the fields of ``backend`` that are set, as a route could be stored before one
    owner per object was a rule (docs/security.md): a request naming another route's managed Service is
    refused now, so only data from before can hold one."""
    for revision in route.revisions.all():
        revision.spec = {
            **revision.spec,
            "backend": {**revision.spec["backend"], **{k: v for k, v in backend.__dict__.items() if v is not None}},
        }
        revision.save(update_fields=["spec"])
    route._revision_cache = {}
    return route


@pytest.fixture
def cluster(db):
    return Cluster.objects.create(name="prod-eu", display_name="Production EU", mode="directory")


@pytest.fixture
def shop(db, cluster):
    return make_team("shop", domains=["shop.example.com"], namespaces=[(cluster, "shop")])


@pytest.fixture
def other_team(db, cluster):
    return make_team("blog", domains=["blog.example.com"], namespaces=[(cluster, "blog")])


@pytest.fixture
def rival(db, cluster):
    """A second team that shares namespace shop on the cluster with team shop (TeamNamespace allows it)."""
    return make_team("rival", domains=["rival.example.com"], namespaces=[(cluster, "shop")])


@pytest.fixture
def alice(shop):
    """A developer in team shop."""
    return make_user("alice", teams=[shop])


@pytest.fixture
def bob(other_team):
    """A developer in another team."""
    return make_user("bob", teams=[other_team])


@pytest.fixture
def mallory(rival):
    """A developer in team rival, which shares namespace shop."""
    return make_user("mallory", teams=[rival])


@pytest.fixture
def pat(db):
    """A platform engineer."""
    return make_user("pat", platform=True)


@pytest.fixture
def quinn(db):
    """A second platform engineer."""
    return make_user("quinn", platform=True)


@pytest.fixture
def submit(shop, cluster, alice):
    """Submit a route for team shop as alice (or as given)."""

    def _submit(name="cart", *, user=None, team=None, namespace="shop", on=None, **spec_kwargs):
        return services.submit_route(
            user=user or alice,
            team=team or shop,
            cluster=on or cluster,
            namespace=namespace,
            name=name,
            spec=spec(**spec_kwargs),
        )

    return _submit


@pytest.fixture
def approved_route(submit, pat):
    return services.approve_route(submit(), user=pat, comment="ok")


@pytest.fixture
def admin_client_as(client):
    """The test client signed in to the admin as ``user`` (made staff, as platform engineers are)."""

    def login(user):
        user.is_staff = True
        user.save()
        client.force_login(user)
        return client

    return login
