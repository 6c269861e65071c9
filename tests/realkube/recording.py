"""Portico's requests to the local API server as a test sees them: each call, the status it got, the refusal's words."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class RecordedRequest:
    """One request Portico's KubeClient sent during the test, and the status it got (0: no answer)."""

    method: str
    path: str
    query: dict
    content_type: str | None
    status: int
    cluster: str
    body: object = field(default=None, repr=False)
    error: str = ""  # the API server's message when it refused the request
    listed: list = field(default_factory=list, repr=False)  # (namespace, name) of the items a list answered


# The request each thread is sending (a sync sends its lists from several threads: routes.reconcile.fanout).
_current = threading.local()


def _answered(call_api):
    def answered(*args, **kwargs):
        response = call_api(*args, **kwargs)
        record = getattr(_current, "record", None)
        if record is not None:
            record.status = response.status
        return response

    answered.recording = True  # type: ignore[attr-defined]
    return answered


def recorder(requests: list[RecordedRequest]):
    """A replacement for KubeClient.request that records each call with the status the server answered."""
    from clusters.kube import KubeClient, KubeError

    original = KubeClient.request

    def request(self, method, path, *, query=None, body=None, content_type=None):
        record = RecordedRequest(method, path.split("?")[0], dict(query or []), content_type, 0, self.name, body)
        requests.append(record)
        if not getattr(self.api.call_api, "recording", False):
            self.api.call_api = _answered(self.api.call_api)
        _current.record = record
        try:
            answer = original(self, method, path, query=query, body=body, content_type=content_type)
            if isinstance(answer, dict) and isinstance(answer.get("items"), list):
                record.listed = [
                    ((i.get("metadata") or {}).get("namespace", ""), (i.get("metadata") or {}).get("name", ""))
                    for i in answer["items"]
                ]
            return answer
        except KubeError as exc:
            # The API server's own words (an RBAC refusal names the permission) are the Status message, kept as
            # ``explanation``; ``message`` names the status only (docs/security.md, "Outbound requests").
            record.status, record.error = exc.status, exc.explanation
            raise
        finally:
            _current.record = None

    return request


def watch_recorder(requests: list[RecordedRequest]):
    """A replacement for KubeClient.watch that records the watch's request and whether the server accepted it
    (the watch's thread calls it: clusters.watches)."""
    from clusters.kube import KubeClient, KubeError

    original = KubeClient.watch

    def watch(self, kind, *, namespace, label_selector, resource_version, seconds):
        query = {"watch": "true", "resourceVersion": resource_version, "labelSelector": label_selector or ""}
        record = RecordedRequest("GET", kind.path(namespace), query, None, 0, self.name)
        requests.append(record)
        try:
            response = original(
                self,
                kind,
                namespace=namespace,
                label_selector=label_selector,
                resource_version=resource_version,
                seconds=seconds,
            )
        except KubeError as exc:
            record.status, record.error = exc.status, exc.explanation
            raise
        record.status = response.status
        return response

    return watch
