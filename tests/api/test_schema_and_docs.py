"""The OpenAPI schema describes every endpoint and its errors; Swagger UI is served from our own static files."""

import re

import pytest
import yaml

PATHS = {
    "/api/v1/routes/": {"get", "post"},
    "/api/v1/routes/{id}/": {"get", "patch", "delete"},
    "/api/v1/routes/{id}/manifests/": {"get"},
    "/api/v1/routes/{id}/diff/": {"get"},
    "/api/v1/routes/{id}/status/": {"get"},
    "/api/v1/routes/{id}/history/": {"get"},
    "/api/v1/routes/{id}/approve/": {"post"},
    "/api/v1/routes/{id}/reject/": {"post"},
    "/api/v1/clusters/": {"get", "post"},
    "/api/v1/clusters/{name}/": {"get", "patch", "delete"},
    "/api/v1/teams/": {"get", "post"},
    "/api/v1/teams/{slug}/": {"get", "patch"},
    "/api/v1/host-claims/": {"get"},
    "/api/v1/host-claims/{host}/": {"get", "delete"},
}


@pytest.fixture
def schema(client, db):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_every_endpoint_of_the_design_is_described(schema):
    assert {path: set(item) for path, item in schema["paths"].items()} == PATHS


def test_every_operation_documents_its_errors(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert {"401", "403", "404"} <= codes, (method, path)
            if method in ("post", "patch"):
                assert {"400", "409"} <= codes, (method, path)


def test_error_bodies_have_a_schema(schema):
    create = schema["paths"]["/api/v1/routes/"]["post"]["responses"]
    assert create["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/FieldErrors"}
    assert create["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/FieldErrors"}
    assert create["403"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_dry_run_and_token_auth_are_documented(schema):
    parameters = schema["paths"]["/api/v1/routes/"]["post"]["parameters"]
    assert "dry_run" in [p["name"] for p in parameters]
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_kubeconfig_is_write_only_in_the_schema(schema):
    components = schema["components"]["schemas"]
    assert "kubeconfig" not in components["Cluster"]["properties"]
    assert "kubeconfig" in components["ClusterRequest"]["properties"]


def test_swagger_ui_loads_nothing_from_other_sites_and_runs_no_inline_script(client, db):
    page = client.get("/api/docs/")

    html = page.content.decode()
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert any("swagger-ui-dist" in s for s in sources)
    assert "<script>" not in html
    script = client.get(next(s for s in sources if "script" in s))
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()
