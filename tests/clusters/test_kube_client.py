"""The kube client's manners: rate limit, Retry-After, timeouts, error mapping, pagination."""

import pytest

from clusters.kube import INGRESS, SERVICE, KubeClient, PermanentKubeError, RateLimiter, TransientKubeError


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_rate_limiter_allows_a_burst_then_paces_at_qps():
    clock = FakeClock()
    limiter = RateLimiter(qps=20, burst=40, clock=clock, sleep=clock.sleep)

    for _ in range(40):
        limiter.acquire()
    assert clock.slept == []
    for _ in range(20):
        limiter.acquire()
    assert sum(clock.slept) == pytest.approx(1.0)  # 20 more requests at 20/s


@pytest.fixture
def client(kube, kube_kubeconfig):
    with KubeClient(kube_kubeconfig, name="emulator", qps=1000, burst=1000, timeout=5) as c:
        yield c


def _service(name):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"ports": [{"port": 80}]},
    }


def test_list_follows_continue_tokens(client, kube, monkeypatch):
    monkeypatch.setattr("clusters.kube.LIST_PAGE_SIZE", 2)
    for i in range(5):
        kube.create(_service(f"s{i}"))

    names = [s["metadata"]["name"] for s in client.list(SERVICE)]

    assert names == ["s0", "s1", "s2", "s3", "s4"]
    pages = [r for r in kube.requests if r.path == "/api/v1/services"]
    assert len(pages) == 3 and all(r.query["limit"] == "2" for r in pages)


def test_429_with_short_retry_after_is_waited_out_in_place(client, kube):
    kube.fail_next(1, 429, methods=["PATCH"], headers={"Retry-After": "0"})

    client.apply(_service("web"))

    assert [r.status for r in kube.requests] == [429, 201]


def test_429_with_long_retry_after_goes_back_to_the_task_with_the_delay(client, kube):
    kube.fail_next(1, 429, methods=["PATCH"], headers={"Retry-After": "120"})

    with pytest.raises(TransientKubeError) as exc:
        client.apply(_service("web"))
    assert exc.value.status == 429 and exc.value.retry_after == 120.0


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_transient(client, kube, status):
    kube.fail_next(1, status, methods=["PATCH"], headers={})
    with pytest.raises(TransientKubeError):
        client.apply(_service("web"))


def test_invalid_is_permanent_with_the_servers_message_kept_apart(client, kube):
    kube.fail_next(1, 422, methods=["PATCH"], message="spec.rules[0].host: Invalid value")
    with pytest.raises(PermanentKubeError) as exc:
        client.apply(_service("web"))
    assert exc.value.status == 422 and exc.value.reason == "Invalid"
    assert exc.value.message == "PATCH /api/v1/namespaces/shop/services/web: 422 Unprocessable Entity"
    assert "spec.rules[0].host: Invalid value" in exc.value.detail  # the Status message, for the route only
    assert exc.value.explanation == f"{exc.value.message}: {exc.value.detail}"


@pytest.mark.parametrize(
    "body",
    ["INTERNAL-SECRET-PAGE: db_password=hunter2", b"\x00\xffhunter2", {"message": "hunter2", "kind": "NotAStatus"}],
)
def test_an_error_answer_that_is_no_kubernetes_status_is_reported_by_its_status_only(client, kube, body):
    kube.fail_next(1, 404, body=body, path_contains="/version")
    with pytest.raises(PermanentKubeError) as exc:
        client.version()
    assert (exc.value.message, exc.value.detail, exc.value.explanation) == (
        "GET /version: 404 Not Found",
        "",
        "GET /version: 404 Not Found",
    )


def test_refused_connection_is_transient_and_not_retried_silently(client, kube):
    kube.refuse_connections()
    try:
        with pytest.raises(TransientKubeError, match="Cannot reach the API server"):
            client.get(INGRESS, "cart", "shop")
    finally:
        kube.restore()


def test_get_and_delete_of_a_missing_object(client):
    assert client.get(INGRESS, "nope", "shop") is None
    assert client.delete(INGRESS, "nope", "shop") is False
