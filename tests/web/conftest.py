"""Fixtures for the page tests: signed-in clients and routes in bulk, made through routes.services."""

import pytest
from django.test import Client

from routes import services


@pytest.fixture
def login():
    """A test client signed in as ``user``."""

    def _login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def htmx_headers():
    """What htmx sends with every request it makes."""
    return {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def many_routes(submit, pat):
    """``count`` routes of team shop, numbered; ``approved`` ones are approved by pat (applied by nobody)."""

    def _many(count: int, *, approved: bool = False, start: int = 0):
        routes = []
        for i in range(start, start + count):
            route = submit(f"r{i}", host=f"r{i}.shop.example.com")
            if approved:
                route = services.approve_route(route, user=pat)
            routes.append(route)
        return routes

    return _many


@pytest.fixture
def form_data():
    """A valid new-route form post for team shop, with overrides."""

    def _data(**overrides) -> dict:
        data = {
            "team": "shop",
            "cluster": "prod-eu",
            "namespace": "shop",
            "name": "cart",
            "host": "cart.shop.example.com",
            "path": "/",
            "path_type": "Prefix",
            "backend_kind": "existing",
            "service_name": "cart",
            "service_port": "8080",
            "target_port": "",
            "selector": "",
            "service_type": "ClusterIP",
            "external_name": "",
            "tls_mode": "cert-manager",
            "issuer": "",
            "secret_name": "",
        }
        data.update(overrides)
        return data

    return _data


@pytest.fixture
def kube_cluster(kube, kube_kubeconfig, shop):
    """A kubernetes-mode cluster served by the API emulator, where team shop may use namespace shop."""
    from django.core.cache import cache

    from clusters.models import Cluster
    from teams.models import TeamNamespace

    cache.clear()
    cluster = Cluster(name="kind", mode="kubernetes")
    cluster.set_kubeconfig(kube_kubeconfig)
    cluster.save()
    TeamNamespace.objects.create(team=shop, cluster=cluster, namespace="shop")
    return cluster
