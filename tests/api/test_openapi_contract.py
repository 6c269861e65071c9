"""Generated requests against the published schema: the API never answers 5xx and every response matches it.

Schemathesis reads /api/schema/ from the Django app itself (WSGI, in process, no network) and calls each
operation with bounded generated input, as a platform engineer and as a developer of team shop, both with
tokens. Valid input goes to real objects (a route with an approved and a pending revision, its cluster, team
and host claim); invalid input (negative mode, for operations that take a body or a query) goes wherever the
generator points.
"""

from dataclasses import replace

import pytest
import schemathesis
import yaml
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import media_types
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from routes import services

from .conftest import GENERATED

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# (role, mode) -> examples per operation. Bounded so the whole module runs in well under a minute.
RUNS = {
    ("platform", GenerationMode.POSITIVE): 18,
    ("platform", GenerationMode.NEGATIVE): 8,
    ("developer", GenerationMode.POSITIVE): 8,
}


def _operations() -> list[str]:
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return [f"{method.upper()} {path}" for path, item in paths.items() for method in item]


# Manifests come as a YAML stream, one document per object: read it as the list of objects the schema describes.
@schemathesis.deserializer(*media_types.YAML_MEDIA_TYPES)
def _yaml_stream(ctx, response):
    return list(yaml.safe_load_all(response.content))


@pytest.fixture(scope="module")
def api_schema():
    """The schema as served at /api/schema/, loaded once, bound to the project's WSGI application.

    The app is kept off the request signals that would close the test's transaction (as Django's own test
    client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def live_objects(no_throttle, approved_route, submit, pat):
    """A route with an approved revision 1 and a pending revision 2, plus a second pending route."""
    route = services.edit_route(approved_route, user=pat, spec=replace(approved_route.latest_spec, path="/v2"))
    submit("api", path="/api")
    return {"id": str(route.pk), "name": route.cluster.name, "slug": route.team.slug, "host": route.host}


@pytest.mark.parametrize("label", _operations())
def test_operation_answers_as_documented(label, api_schema, live_objects, quinn, alice):
    operation = api_schema.find_operation_by_label(label)
    users = {"platform": quinn, "developer": alice}
    negatable = bool(len(operation.body) or len(operation.query))
    for (role, mode), examples in RUNS.items():
        if mode is GenerationMode.NEGATIVE and not negatable:
            continue  # only path parameters, all plain text: there is no invalid input to generate
        token, _ = Token.objects.get_or_create(user=users[role])
        path_parameters = {p.name: live_objects[p.name] for p in operation.path_parameters}
        strategy = operation.as_strategy(
            mode, headers={"Authorization": f"Token {token.key}"}, path_parameters=path_parameters
        )

        @given(case=strategy)
        @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def call(case):
            GENERATED["schemathesis"] += 1
            case.call_and_validate(checks=CHECKS)

        call()
