"""Access to one cluster's API server with the official `kubernetes` client.

Portico speaks to a handful of kinds through one generic path table instead of the typed APIs, so
apply, list, get and delete share one code path (and one error mapping) for core kinds and CRDs.
Every call goes through a per-cluster token bucket, has a timeout, and maps failures to
TransientKubeError (retry later) or PermanentKubeError (the request itself is wrong).
"""

import json
import logging
import threading
import time

import kubernetes
import urllib3
from django.views.decorators.debug import sensitive_variables
from kubernetes.client.exceptions import ApiException

from core.outbound import status_text

from .kinds import (  # noqa: F401 - re-exported: callers import the kinds from clusters.kube
    CERTIFICATE,
    CLUSTER_ISSUER,
    CRD,
    DAEMON_SET,
    ENDPOINT_SLICE,
    GATEWAY,
    HTTP_ROUTE,
    INGRESS,
    INGRESS_CLASS,
    KINDS,
    MANAGED_KINDS,
    MANAGED_KINDS_BY_OUTPUT,
    MIDDLEWARE,
    NETWORK_POLICY,
    SECRET,
    SERVICE,
    Kind,
    kind_of,
)

logger = logging.getLogger(__name__)

FIELD_MANAGER = "portico"
APPLY_CONTENT_TYPE = "application/apply-patch+yaml"
MERGE_PATCH_CONTENT_TYPE = "application/merge-patch+json"
LIST_PAGE_SIZE = 500
# How many times one list starts again from its first page after its continue token expired (410).
MAX_LIST_RESTARTS = 3
MAX_INLINE_RETRY_AFTER = 5.0  # seconds we wait in place for a 429; longer waits go back to the task's backoff
MAX_DETAIL = 1000  # characters of an API server's Status message kept for a route's condition


class KubeError(Exception):
    """A call to the API server failed. ``status`` is the HTTP status (0 when there was no answer).

    ``message`` says what failed in Portico's own words (method, path, status and its standard phrase): safe to
    show anyone. ``detail`` is the API server's explanation from a Kubernetes Status body, if it sent one; it is
    shown only on the route whose object it concerns (``explanation``), never for a cluster as a whole.
    """

    def __init__(
        self, message: str, *, status: int = 0, reason: str = "", retry_after: float | None = None, detail: str = ""
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        self.retry_after = retry_after
        self.detail = detail

    @property
    def explanation(self) -> str:
        """The message, with the API server's own explanation when it gave one (for a route's conditions)."""
        return f"{self.message}: {self.detail}" if self.detail else self.message


class TransientKubeError(KubeError):
    """Connection failures, timeouts, 429 and 5xx: worth trying again later."""


class PermanentKubeError(KubeError):
    """4xx answers other than 429: the request is wrong and repeating it will not help."""


class ReplacedObjectError(PermanentKubeError):
    """The object Portico read under a name was deleted and another created under that name since: the new object
    is not Portico's, and Portico's apply, which named the uid it read, was refused by the API server."""


class RateLimiter:
    """A token bucket: on average ``qps`` requests a second, bursts up to ``burst``. Thread-safe."""

    def __init__(self, qps: float, burst: int, *, clock=time.monotonic, sleep=time.sleep):
        self.qps = qps
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.qps)
            self._stamp = now
            self._tokens -= 1
            wait = -self._tokens / self.qps if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)


_limiters: dict[str, RateLimiter] = {}
ListAt = tuple[list[dict], str]  # a list's items and the resourceVersion it was read at
_limiters_lock = threading.Lock()


def limiter_for(key: str, qps: float, burst: int) -> RateLimiter:
    """One bucket per cluster per process, shared by every task the process runs for that cluster."""
    with _limiters_lock:
        limiter = _limiters.get(key)
        if limiter is None or (limiter.qps, limiter.burst) != (qps, burst):
            limiter = _limiters[key] = RateLimiter(qps, burst)
        return limiter


class KubeClient:
    """The calls the reconciler and the cluster probe make, against one API server."""

    # Django's debug error page lists every frame's local variables; these frames and the client's below them
    # hold the kubeconfig, the bearer token and the Authorization header, so they show none.
    @sensitive_variables()
    def __init__(
        self, kubeconfig: dict, *, name: str = "cluster", qps: float = 20.0, burst: int = 40, timeout: float = 10.0
    ):
        self.api = kubernetes.config.new_client_from_config_dict(kubeconfig)
        # Portico owns retries (task backoff with jitter); urllib3's silent retries would hide failures and
        # multiply requests against a struggling server.
        self.api.configuration.retries = False
        self.api.rest_client.pool_manager.connection_pool_kw["retries"] = False
        self.limiter = limiter_for(name, qps, burst)
        self.timeout = timeout
        self.name = name

    @classmethod
    def for_cluster(cls, cluster, *, timeout: float | None = None) -> "KubeClient":
        """A client for a Cluster row, with the configured rate limit and timeout (``timeout`` overrides it for a
        caller that must answer quickly, such as a page)."""
        from django.conf import settings

        return cls(
            cluster.get_kubeconfig(),
            name=cluster.name,
            qps=settings.PORTICO_KUBE_QPS,
            burst=settings.PORTICO_KUBE_BURST,
            timeout=settings.PORTICO_KUBE_TIMEOUT if timeout is None else timeout,
        )

    def close(self) -> None:
        self.api.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @sensitive_variables()
    def request(self, method: str, path: str, *, query: list | None = None, body=None, content_type: str | None = None):
        """One HTTP call; returns the decoded JSON body (None for 404 on GET/DELETE is the caller's choice)."""
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        for attempt in range(3):
            self.limiter.acquire()
            method_, url, headers_, body_, post = self.api.param_serialize(
                method,
                path,
                query_params=query or [],
                header_params=dict(headers),
                # The client serialises dicts only for JSON content types; an apply body goes as JSON text
                # (valid YAML) under the apply-patch content type.
                body=json.dumps(body) if content_type == APPLY_CONTENT_TYPE else body,
                auth_settings=["BearerToken"],
            )
            try:
                response = self.api.call_api(method_, url, headers_, body_, post, _request_timeout=self.timeout)
                response.read()
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise TransientKubeError(f"Cannot reach the API server: {exc.__class__.__name__}: {exc}") from exc
            except ApiException as exc:  # raised by the client for TLS failures (status 0)
                raise TransientKubeError(f"Cannot reach the API server: {exc.reason}", status=exc.status) from exc
            status = response.status
            if 200 <= status < 300:
                return json.loads(response.data) if response.data else None
            error = self._error(method, path, status, response)
            if (
                isinstance(error, TransientKubeError)
                and status == 429
                and attempt < 2
                and error.retry_after is not None
                and error.retry_after <= MAX_INLINE_RETRY_AFTER
            ):
                time.sleep(error.retry_after)
                continue
            raise error
        raise error

    def _error(self, method: str, path: str, status: int, response) -> KubeError:
        # The message names the HTTP status and its standard phrase only, never anything the server sent: it is
        # shown on the clusters page and in the API to every user, and logged (docs/security.md, "Outbound
        # requests"). A Kubernetes Status body's own message (e.g. why a 422 object is invalid) is kept apart
        # as ``detail``, for the route it concerns.
        try:
            payload = json.loads(response.data or b"{}")
        except ValueError:
            payload = {}
        is_status = isinstance(payload, dict) and payload.get("kind") == "Status"
        detail = payload.get("message") if is_status and isinstance(payload.get("message"), str) else ""
        reason = payload.get("reason") if is_status and isinstance(payload.get("reason"), str) else ""
        retry_after = None
        header = response.getheader("Retry-After")
        if header:
            try:
                retry_after = float(header)
            except ValueError:
                retry_after = None
        cls = TransientKubeError if status == 429 or status >= 500 else PermanentKubeError
        return cls(
            f"{method} {path}: {status_text(status)}",
            status=status,
            reason=reason[:100],
            retry_after=retry_after,
            detail=detail[:MAX_DETAIL],
        )

    def apply(self, obj: dict, *, uid: str | None = None, dry_run: bool = False) -> dict:
        """Server-side apply as field manager `portico`, forcing ownership of the fields we set.

        ``uid`` is the uid of the live object the caller read and judged its own. It goes in the applied
        metadata, so the API server applies to that very object only: one deleted and re-created under the name
        since (by someone else, without our labels) is refused, and this raises ReplacedObjectError instead of
        taking it over (docs/reliability.md, "On a real API server"). An object merely deleted since is created
        again, as an apply without ``uid`` would.
        """
        kind = kind_of(obj)
        meta = obj["metadata"]
        body = {**obj, "metadata": {**meta, "uid": uid}} if uid else obj
        try:
            return self.request(
                "PATCH",
                kind.path(meta.get("namespace"), meta["name"]),
                query=[("fieldManager", FIELD_MANAGER), ("force", "true")] + ([("dryRun", "All")] if dry_run else []),
                body=body,
                content_type=APPLY_CONTENT_TYPE,
            )
        except PermanentKubeError as exc:
            # kube-apiserver answers 422 "metadata.uid: field is immutable" when another object holds the name,
            # and 409 "uid mismatch ... no existing object was found" when none does; read which it is.
            if not uid or exc.status not in (409, 422):
                raise
            current = self.get(kind, meta["name"], meta.get("namespace"))
            if current is None:
                return self.apply(obj)
            if (current.get("metadata") or {}).get("uid") != uid:
                where = f"{meta.get('namespace')}/{meta['name']}" if meta.get("namespace") else meta["name"]
                raise ReplacedObjectError(
                    f"{kind.kind} {where} was deleted and created again by someone else since Portico read it; the "
                    "new object is not Portico's and Portico did not change it. Remove it (or rename the route) "
                    "for Portico to create its own.",
                    status=409,
                    reason="Conflict",
                ) from exc
            raise

    def remove_annotations(
        self, kind: Kind, name: str, namespace: str | None, keys: list[str], *, uid: str, resource_version: str
    ) -> dict:
        """Remove annotations another field manager owns (an apply never removes those): a JSON merge patch as
        field manager `portico`, only on the very object read (``uid``) at the version read (``resource_version``);
        the API server answers 409 when either changed since, and nothing is removed."""
        body = {
            "metadata": {"uid": uid, "resourceVersion": resource_version, "annotations": dict.fromkeys(keys)},
        }
        return self.request(
            "PATCH",
            kind.path(namespace, name),
            query=[("fieldManager", FIELD_MANAGER)],
            body=body,
            content_type=MERGE_PATCH_CONTENT_TYPE,
        )

    def watch(
        self, kind: Kind, *, namespace: str | None, label_selector: str | None, resource_version: str, seconds: int
    ):
        """Open a watch of a list's scope from the list's ``resource_version``, kept open by the server for
        ``seconds``; returns the streaming response (``clusters.watches`` reads it), or raises the KubeError
        ``request`` would (403: the role lacks the ``watch`` verb)."""
        query = [("watch", "true"), ("resourceVersion", resource_version), ("timeoutSeconds", str(seconds))]
        if label_selector:
            query.append(("labelSelector", label_selector))
        path = kind.path(namespace)
        self.limiter.acquire()
        method, url, headers, body, post = self.api.param_serialize(
            "GET", path, query_params=query, header_params={"Accept": "application/json"}, auth_settings=["BearerToken"]
        )
        try:
            response = self.api.call_api(
                method, url, headers, body, post, _request_timeout=(self.timeout, seconds + 30)
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise TransientKubeError(f"Cannot reach the API server: {exc.__class__.__name__}: {exc}") from exc
        except ApiException as exc:
            raise TransientKubeError(f"Cannot reach the API server: {exc.reason}", status=exc.status) from exc
        if response.status != 200:
            response.read()
            raise self._error("GET", path, response.status, response)
        return response

    def get(self, kind: Kind, name: str, namespace: str | None = None) -> dict | None:
        try:
            return self.request("GET", kind.path(namespace, name))
        except PermanentKubeError as exc:
            if exc.status == 404:
                return None
            raise

    def list(self, kind: Kind, *, namespace: str | None = None, label_selector: str | None = None) -> list[dict]:
        """Every object of a kind (``list_at`` without the list's resourceVersion)."""
        return self.list_at(kind, namespace=namespace, label_selector=label_selector)[0]

    def list_at(self, kind: Kind, *, namespace: str | None = None, label_selector: str | None = None) -> ListAt:
        """Every object of a kind, following `continue` tokens page by page, and the resourceVersion the list was
        read at (where a watch of the same scope starts: ``clusters.watches``).

        A continue token expires when the API server's storage compacts the revision the list started at (etcd
        compaction, every 5 minutes by default): the next page answers 410 Gone. The list then starts again from
        its first page (a consistent snapshot, never pages of two), up to MAX_LIST_RESTARTS times.
        """
        items: list[dict] = []
        token = None
        restarts = 0
        while True:
            query = [("limit", str(LIST_PAGE_SIZE))]
            if label_selector:
                query.append(("labelSelector", label_selector))
            if token:
                query.append(("continue", token))
            try:
                page = self.request("GET", kind.path(namespace), query=query) or {}
            except PermanentKubeError as exc:
                if not (token and exc.status == 410):
                    raise
                if restarts >= MAX_LIST_RESTARTS:
                    raise TransientKubeError(
                        f"The list of {kind.plural} expired {restarts + 1} times before its last page (410 Gone: the "
                        f"API server compacted its history faster than Portico read {LIST_PAGE_SIZE} objects a "
                        "page); the next sync lists again.",
                        status=410,
                    ) from exc
                restarts += 1
                logger.info(
                    "list of %s: continue token expired (%s); listing again from the first page",
                    kind.plural,
                    exc.message,
                )
                items, token = [], None
                continue
            for item in page.get("items") or []:
                item.setdefault("apiVersion", kind.api_version)
                item.setdefault("kind", kind.kind)
                items.append(item)
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                # Every page of a list carries the version of its first (one consistent snapshot).
                return items, (page.get("metadata") or {}).get("resourceVersion") or ""

    def delete(self, kind: Kind, name: str, namespace: str | None = None, *, uid: str | None = None) -> bool:
        """Delete an object; False when it was already gone.

        ``uid`` is the uid of the object the caller read and judged its own: the API server then deletes only
        that object (a precondition), never one someone re-created under the name since (docs/security.md,
        "One owner per object"); False as well when the precondition fails.
        """
        body: dict = {"propagationPolicy": "Background"}
        if uid:
            body["preconditions"] = {"uid": uid}
        try:
            self.request("DELETE", kind.path(namespace, name), body=body)
            return True
        except PermanentKubeError as exc:
            if exc.status == 404:
                return False
            if exc.status == 409 and uid:
                logger.info(
                    "not deleting %s %s/%s: it was replaced since it was read (%s)",
                    kind.kind,
                    namespace or "",
                    name,
                    exc.message,
                )
                return False
            raise

    def version(self) -> str:
        info = self.request("GET", "/version") or {}
        return info.get("gitVersion") or f"v{info.get('major', '?')}.{info.get('minor', '?')}"
