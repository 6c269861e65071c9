"""The emulator's injected faults (failed, dropped and refused requests) and its request log."""

import time

import kubernetes
import pytest
import urllib3
from kubernetes.client.exceptions import ApiException

from tests.kube.emulator_support import apply_ingress, ingress, status_of


def test_an_injected_500_fails_once_then_the_request_succeeds(kube, core):
    kube.fail_next(1, 500)

    with pytest.raises(ApiException) as error:
        core.list_namespaced_service("shop")
    assert error.value.status == 500
    assert status_of(error.value)["reason"] == "InternalError"

    assert core.list_namespaced_service("shop").items == []
    assert [r.status for r in kube.requests] == [500, 200]


def test_an_injected_429_shows_retry_after_to_the_client(kube, networking):
    kube.fail_next(1, 429, methods=["PATCH"])

    with pytest.raises(ApiException) as error:
        apply_ingress(networking, ingress())

    assert error.value.status == 429
    assert error.value.headers["Retry-After"] == "1"
    assert status_of(error.value)["details"] == {"retryAfterSeconds": 1}
    assert apply_ingress(networking, ingress())[0] == 201


def test_urllib3_retries_a_get_answered_429_with_retry_after_unless_retries_are_off(kube, kube_kubeconfig):
    # The client's default urllib3 Retry honours Retry-After on 429/503 for GET, PUT and DELETE, so
    # such a fault is invisible to default-configured code; Portico turns retries off (clusters/kube.py).
    client = kubernetes.config.new_client_from_config_dict(kube_kubeconfig)
    kube.fail_next(1, 429, headers={"Retry-After": "0"})
    assert kubernetes.client.CoreV1Api(client).list_namespaced_service("shop").items == []
    assert [r.status for r in kube.requests] == [429, 200]

    client.rest_client.pool_manager.connection_pool_kw["retries"] = False
    client.rest_client.pool_manager.clear()
    kube.fail_next(1, 429, headers={"Retry-After": "0"})
    with pytest.raises(ApiException) as error:
        kubernetes.client.CoreV1Api(client).list_namespaced_service("shop")
    assert error.value.status == 429
    client.close()


def test_an_injected_422_carries_a_realistic_invalid_status(kube, networking):
    kube.fail_next(1, 422, path_contains="/ingresses/")
    kube.fail_next(1, 422, message="spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified")

    with pytest.raises(ApiException) as first:
        apply_ingress(networking, ingress())
    with pytest.raises(ApiException) as second:
        apply_ingress(networking, ingress())

    status = status_of(first.value)
    assert (status["reason"], status["code"]) == ("Invalid", 422)
    assert (
        status["message"]
        == 'Ingress.networking.k8s.io "cart" is invalid: metadata.annotations: Too long: must have at most 262144 bytes'
    )
    assert status_of(second.value)["message"] == (
        'Ingress.networking.k8s.io "cart" is invalid: '
        "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"
    )
    assert status_of(second.value)["details"]["causes"][0]["field"] == "spec.rules[0].http.paths[0].pathType"
    assert kube.get("networking.k8s.io/v1", "Ingress", "shop", "cart") is None


def test_faults_only_hit_the_methods_and_paths_they_name(kube, core, networking):
    kube.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "cart", "namespace": "shop"},
            "spec": {"ports": [{"port": 80}]},
        }
    )
    kube.fail_next(1, 503, methods=["PATCH"], path_contains="/ingresses/")

    core.list_namespaced_service("shop")
    core.patch_namespaced_service("cart", "shop", {"metadata": {"labels": {"a": "1"}}})
    with pytest.raises(ApiException) as error:
        apply_ingress(networking, ingress())

    assert error.value.status == 503
    assert [r.status for r in kube.requests] == [200, 200, 503]
    assert apply_ingress(networking, ingress())[0] == 201


def test_refused_connections_raise_urllib3_errors_until_restored(kube, core):
    core.list_namespaced_service("shop")  # leaves a keep-alive connection open, which refusing closes

    kube.refuse_connections()
    with pytest.raises(urllib3.exceptions.MaxRetryError) as error:
        core.list_namespaced_service("shop")
    assert isinstance(error.value.reason, urllib3.exceptions.NewConnectionError)

    kube.restore()
    assert core.list_namespaced_service("shop").items == []


def test_refusing_for_some_seconds_ends_by_itself(kube, core):
    kube.refuse_connections(seconds=0.3)
    with pytest.raises(urllib3.exceptions.MaxRetryError):
        core.list_namespaced_service("shop")

    deadline = time.monotonic() + 5
    while True:
        try:
            assert core.list_namespaced_service("shop").items == []
            break
        except urllib3.exceptions.MaxRetryError:
            assert time.monotonic() < deadline, "the emulator did not listen again"
            time.sleep(0.05)


def test_a_dropped_connection_fails_a_patch_mid_request(kube, networking):
    kube.drop_next(1, methods=["PATCH"])

    with pytest.raises(urllib3.exceptions.ProtocolError):
        apply_ingress(networking, ingress())

    assert kube.requests[0].dropped and kube.requests[0].status is None
    assert kube.get("networking.k8s.io/v1", "Ingress", "shop", "cart") is None


def test_the_request_log_keeps_reads_and_writes_until_cleared(kube, core, networking):
    core.list_namespaced_service("shop", label_selector="app.kubernetes.io/managed-by=portico", limit=500)
    apply_ingress(networking, ingress())
    networking.delete_namespaced_ingress("cart", "shop")

    assert [(r.method, r.status) for r in kube.requests] == [("GET", 200), ("PATCH", 201), ("DELETE", 200)]
    assert kube.requests[0].query == {"labelSelector": "app.kubernetes.io/managed-by=portico", "limit": "500"}
    assert kube.requests[0].headers["Authorization"] == f"Bearer {kube.token}"
    assert [r.method for r in kube.writes()] == ["PATCH", "DELETE"]
    kube.clear_requests()
    assert kube.requests == []
