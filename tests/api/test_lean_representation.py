"""The route JSON of the lean read path (routes.api.lean) is byte for byte what DRF's own serializer path gives,
for routes in every state the worker and reviewers leave them in, and for the API list read in one query."""

import datetime
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from clusters.models import Cluster
from routes import services
from routes.api.serializers import RouteSerializer
from routes.domain.values import TLS, Backend
from routes.models import Route
from tests.factories import spec

pytestmark = pytest.mark.django_db

WHEN = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)


def drf_json(route: Route) -> bytes:
    """The JSON DRF's own Serializer.to_representation gives."""
    return JSONRenderer().render(serializers.Serializer.to_representation(RouteSerializer(), route))


def lean_json(route: Route) -> bytes:
    return JSONRenderer().render(RouteSerializer(route).data)


def outcome(show, route: Route):
    """The JSON, or the kind of error: a status no worker writes (a list where a number goes) fails alike."""
    try:
        return show(route)
    except Exception as exc:  # noqa: BLE001 - the error's kind is what is compared
        return type(exc)


text = st.one_of(st.none(), st.text(max_size=8), st.integers(-5, 5))


def partial_dicts(keys, values=text):
    """Dicts with any subset of ``keys``, values of any of the types a stored status might hold."""
    return st.dictionaries(st.sampled_from(keys), values, max_size=len(keys))


hops = st.fixed_dictionaries(
    {
        "hop": st.sampled_from(["dns", "tls", "http"]),
        "title": st.text(max_size=5),
        "state": st.sampled_from(["ok", "warn", "fail"]),
        "detail": st.text(max_size=5),
        "ms": st.one_of(st.none(), st.floats(0, 1000), st.integers(0, 1000)),
    }
)
reachability = st.one_of(
    st.just({}),
    st.fixed_dictionaries(
        {},
        optional={
            "checked_at": st.text(max_size=5),
            "state": st.sampled_from(["ok", "fail"]),
            "summary": st.text(max_size=10),
            "addresses": st.lists(st.one_of(st.none(), st.text(max_size=5)), max_size=2),
            "hops": st.lists(hops, max_size=3),
            "certificate": partial_dicts(["names", "issuer", "not_after", "days_left"], st.just([]) | text),
            "http_status": st.one_of(st.none(), st.integers(100, 599)),
        },
    ),
)
states = st.fixed_dictionaries(
    {
        "conditions": st.lists(
            partial_dicts(["type", "status", "reason", "message", "last_transition_time"]), max_size=3
        ),
        "diagnostics": st.lists(partial_dicts(["step", "title", "status", "detail", "fix"]), max_size=3),
        "certificate": partial_dicts(["ready", "not_after"], st.one_of(st.none(), st.booleans(), st.text(max_size=4))),
        "endpoints": partial_dicts(["ready", "total"], st.one_of(st.none(), st.integers(0, 9))),
        "reachability": reachability,
        "address": st.sampled_from(["", "203.0.113.7", "lb.example.com"]),
        "last_synced_at": st.sampled_from([None, WHEN]),
        "progressing_since": st.sampled_from([None, WHEN]),
        "deletion_requested_at": st.sampled_from([None, WHEN]),
        "health": st.sampled_from(["Healthy", "Degraded", "Unknown", "Progressing", "Missing"]),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=states, cluster_synced=st.sampled_from([None, WHEN + datetime.timedelta(hours=1)]))
def test_lean_json_is_drf_json_for_any_stored_status(submit, state, cluster_synced):
    route = Route.objects.filter(name="cart").first() or submit()
    route.cluster.last_synced_at = cluster_synced
    for field, value in state.items():
        setattr(route, field, value)

    assert outcome(lean_json, route) == outcome(drf_json, route)


def test_lean_json_is_drf_json_for_every_backend_and_tls(submit, pat):
    routes = [
        submit("existing"),
        submit(
            "managed",
            path="/api",
            backend=Backend(
                service_name="api",
                service_port=8080,
                target_port="http",
                selector={"app": "api"},
                service_type="ClusterIP",
            ),
        ),
        submit(
            "external",
            path="/ext",
            backend=Backend(service_name="ext", service_port=443, external_name="api.example.net"),
        ),
        submit("secret", path="/s", tls=TLS(mode="secret", secret_name="s-tls")),
    ]
    services.approve_route(routes[0], user=pat, comment="ok")
    # Options as a cluster whose controller honours them stores them (this one's controller is not known).
    revision = routes[1].revisions.get()
    revision.spec = {
        **revision.spec,
        "options": {"force_https": True, "timeout_seconds": 30, "source_ranges": ["::/0"]},
    }
    revision.save(update_fields=["spec"])

    for route in Route.objects.all():
        assert lean_json(route) == drf_json(route), route.name


# PostgreSQL's jsonb holds no NUL character.
stored_states = states.filter(lambda state: "\\u0000" not in json.dumps(state, default=str))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=stored_states, cluster_synced=st.sampled_from([None, WHEN + datetime.timedelta(hours=1)]))
def test_a_listed_route_is_drf_json_for_any_stored_status(api, submit, alice, state, cluster_synced):
    """The list reads rows, not models (routes/api/rows.py): each route's JSON is still DRF's over the model."""
    route = Route.objects.filter(name="cart").first() or submit()
    Route.objects.filter(pk=route.pk).update(**state)
    Cluster.objects.filter(pk=route.cluster_id).update(last_synced_at=cluster_synced)

    def listed(_):
        (result,) = api(alice).get("/api/v1/routes/").json()["results"]
        return JSONRenderer().render(result)

    assert outcome(listed, route) == outcome(drf_json, Route.objects.get(pk=route.pk))


def test_a_hop_missing_a_required_key_fails_as_drf_does(submit):
    route = submit()
    route.reachability = {"hops": [{"hop": "dns"}]}

    with pytest.raises(KeyError):
        drf_json(route)
    with pytest.raises(KeyError):
        lean_json(route)


def test_the_list_read_in_one_query_shows_each_route_as_drf_shows_it_alone(api, submit, pat, alice):
    """The list reads the latest spec with the row (a subquery) and only the related columns it shows; a route
    with a pending second revision shows that revision's spec, as the route alone does."""
    live = services.approve_route(submit("live"), user=pat, comment="ok")
    services.edit_route(live, user=alice, spec=spec(path="/v2"))
    submit("new", path="/new")

    results = api(alice).get("/api/v1/routes/").json()["results"]

    assert {r["name"]: r["path"] for r in results} == {"live": "/v2", "new": "/new"}
    for result in results:
        alone = Route.objects.get(pk=result["id"])
        assert JSONRenderer().render(result) == drf_json(alone)
