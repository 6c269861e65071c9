"""The route page shows the pitfall steps the diagnostics judge (controller pods, target port, NetworkPolicy,
TLS Secret), with what was found and the fix, as the worker stored them."""

import pytest

from routes.domain.diagnostics.evaluate import evaluate
from routes.models import Route
from tests.routes.domain.diagnostics_support import healthy
from tests.routes.domain.test_diagnostics_pitfalls import policy


@pytest.mark.django_db
def test_route_page_names_the_network_policy_that_blocks_the_controller_and_the_fix(login, alice, approved_route):
    evaluation = evaluate(healthy(network_policies=(policy("default-deny"),)))
    Route.objects.filter(pk=approved_route.pk).update(
        health=evaluation.health, diagnostics=evaluation.diagnostics, conditions=evaluation.conditions
    )

    html = login(alice).get(approved_route.get_absolute_url()).content.decode()

    assert "NetworkPolicies let the controller in" in html
    assert "NetworkPolicy default-deny selects your pods" in html
    assert "kubectl -n shop edit networkpolicy default-deny" in html
    assert "Ingress controller has ready pods" in html and "Pods expose the Service&#x27;s target port" in html
