"""A paginated list whose continue token expired (410 Gone) starts again from its first page, on the local
kube-apiserver (tests/realkube) with etcd's history really compacted between two pages, as kube-apiserver does
every 5 minutes (docs/reliability.md, "On a real API server"). Before, the 410 failed the whole sync as a
permanent error and the cluster page blamed Portico's permissions.

The lists use Events: kube-apiserver serves continued lists of cached kinds (Services, Ingresses, ...) from its
watch cache's snapshots for a while after a compaction, and Events have no watch cache, so their next page comes
from etcd at once, as every kind's does on servers before 1.33 or once the snapshot is gone.
"""

import pytest

from clusters import kube
from clusters.kube import Kind, KubeClient, TransientKubeError

pytestmark = pytest.mark.django_db

EVENT = Kind("v1", "Event", "events")


def event(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name},
        "involvedObject": {"kind": "Service", "name": "cart", "namespace": "shop"},
        "reason": "Test",
        "message": "for the list",
        "type": "Normal",
    }


@pytest.fixture
def events(realkube, monkeypatch):
    monkeypatch.setattr(kube, "LIST_PAGE_SIZE", 2)
    for i in range(5):
        realkube.create(event(f"e{i}"))
    return KubeClient(realkube.kubeconfig("admin"), name="real")


def compact_after_first_pages(realkube, monkeypatch, times: int) -> list:
    """After each of the first ``times`` first pages (no continue token), something is written and etcd compacts."""
    request = KubeClient.request
    done = []

    def request_then_compact(self, method, path, *, query=None, **kwargs):
        answer = request(self, method, path, query=query, **kwargs)
        if path.endswith("/events") and "continue" not in dict(query or []) and len(done) < times:
            realkube.create(event(f"late{len(done)}"))
            done.append(realkube.compact())
        return answer

    monkeypatch.setattr(KubeClient, "request", request_then_compact)
    return done


def test_a_list_past_an_expired_continue_token_starts_again_and_returns_every_object(events, realkube, monkeypatch):
    compacted = compact_after_first_pages(realkube, monkeypatch, times=1)

    names = sorted(item["metadata"]["name"] for item in events.list(EVENT, namespace="shop"))

    assert compacted and names == ["e0", "e1", "e2", "e3", "e4", "late0"]
    pages = [(r.status, "continue" in r.query) for r in realkube.requests]
    assert pages[:3] == [(200, False), (410, True), (200, False)]  # the second page expired: from the top again
    assert all(status == 200 for status, _ in pages[2:])


def test_a_list_that_keeps_expiring_is_a_transient_error_for_the_next_sync(events, realkube, monkeypatch):
    compact_after_first_pages(realkube, monkeypatch, times=kube.MAX_LIST_RESTARTS + 1)

    with pytest.raises(TransientKubeError, match="expired 4 times before its last page"):
        events.list(EVENT, namespace="shop")

    assert [r.status for r in realkube.requests].count(410) == kube.MAX_LIST_RESTARTS + 1
