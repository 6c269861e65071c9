"""The HTTP side of the emulator: a kmock handler that answers like kube-apiserver.

kmock 0.8 brings the server, the discovery endpoints and the Status error format
(`kmock.KubernetesScaffold`). Its stateful `KubernetesEmulator` is not used for resources: its path
parser fails on `/api/v1/namespaces`, and its writes lack the semantics Portico relies on (see
README.md here). Resource requests are served here from `ObjectStore`; everything else (discovery,
/version, health) goes to kmock's own reactions.
"""

import asyncio
import json
import traceback
from typing import Any

import aiohttp.web
import attrs
import kmock

from tests.kube.api_errors import ApiError
from tests.kube.faults import Fault, FaultPlan
from tests.kube.patching import APPLY_PATCH
from tests.kube.request import ApiPath, RecordedRequest, parse_api_path
from tests.kube.resources import VERBS, ResourceType
from tests.kube.store import ObjectStore

# kube-apiserver lets anyone read these (system:public-info-viewer); everything else needs the token.
ANONYMOUS_PATHS = frozenset({"/version", "/healthz", "/livez", "/readyz"})

DEFAULT_VERSION_INFO = {
    "major": "1",
    "minor": "37",
    "gitVersion": "v1.37.0",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.25.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def status_response(code: int, reason: str, message: str, details: dict | None = None) -> aiohttp.web.Response:
    return json_response(ApiError(code, reason, message, details).status(), code)


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> aiohttp.web.Response:
    return aiohttp.web.Response(
        text=json.dumps(body),
        status=status,
        content_type="application/json",
        headers=headers,
    )


_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


@attrs.define(kw_only=True)
class KubeApiHandler(kmock.KubernetesScaffold):
    """kmock's Kubernetes scaffold plus resources served from an `ObjectStore`, faults and auth."""

    store: ObjectStore = attrs.field(factory=ObjectStore)
    faults: FaultPlan = attrs.field(factory=FaultPlan)
    log: list[RecordedRequest] = attrs.field(factory=list)
    token: str | None = None
    version_info: dict = attrs.field(factory=lambda: dict(DEFAULT_VERSION_INFO))
    refusing: bool = False
    # Exceptions raised by the emulator itself while serving (its bugs), for the fixtures to report.
    server_errors: list[BaseException] = attrs.field(factory=list)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        for probe in ("healthz", "livez", "readyz"):
            self.fallback[f"get /{probe}"] << b"ok"
        self.store.on_types_changed = self.refresh_discovery
        self.refresh_discovery()

    def refresh_discovery(self) -> None:
        """Describe the store's resource types in kmock's discovery endpoints."""
        resources = kmock.ResourcesArray()
        for rtype in list(self.store.types.values()):
            resources[kmock.resource(rtype.group, rtype.version, rtype.plural)] = kmock.ResourceInfo(
                namespaced=rtype.namespaced,
                kind=rtype.kind,
                singular=rtype.singular,
                verbs=VERBS,
                shortnames=rtype.short_names,
                subresources={"status"} if rtype.has_status else set(),
            )
        # Swapped whole: the event loop may be iterating the previous array in a discovery request.
        self._resources = resources

    async def _serve_server_version(self, request: kmock.Request) -> dict:
        return dict(self.version_info)

    async def _serve_api(self, request: kmock.Request) -> dict:
        # The official client's model for /api requires serverAddressByClientCIDRs, which kmock omits.
        address = request.url.host and f"{request.url.host}:{request.url.port}"
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address or ""}],
        }

    async def _render_error(self, exc: Exception) -> aiohttp.web.StreamResponse:
        # kmock answers unknown URLs with advice for kmock users; answer as kube-apiserver does.
        if isinstance(exc, kmock.KubernetesNotFoundError):
            return json_response(ApiError.no_such_resource().status(), 404)
        self.server_errors.append(exc)
        return await super()._render_error(exc)

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        raw_body = await raw_request.read()
        record = RecordedRequest.capture(raw_request, raw_body)
        self.log.append(record)
        try:
            response = await self._respond(raw_request, record)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug in the emulator: answer like kube-apiserver's panic handler, keep it for the report
            self.server_errors.append(exc)
            response = status_response(
                500,
                "InternalError",
                f"Internal error occurred: {exc!r}",
                {"causes": [{"message": traceback.format_exc()}]},
            )
        if not record.dropped:
            record.status = response.status
        return response

    async def _respond(self, raw: aiohttp.web.BaseRequest, record: RecordedRequest) -> aiohttp.web.StreamResponse:
        fault = self.faults.take(record.method, record.path)
        if self.refusing or (fault is not None and fault.status is None):
            # Close without answering: the client sees the connection reset or closed mid-request.
            record.dropped = True
            raw.protocol.force_close()
            return aiohttp.web.Response(status=503)  # never reaches the client
        if fault is not None:
            return self._fault_response(fault, record)
        if (
            self.token
            and record.path.rstrip("/") not in ANONYMOUS_PATHS
            and raw.headers.get("Authorization") != f"Bearer {self.token}"
        ):
            return status_response(401, "Unauthorized", "Unauthorized")
        api_path = parse_api_path(record.path)
        if api_path is None:
            # kmock serves discovery, /version and the health probes. The official client asks for
            # most of them with a trailing slash (/version/, /apis/networking.k8s.io/v1/), which
            # kube-apiserver accepts and kmock's patterns do not.
            if record.path != "/" and record.path.endswith("/"):
                raw = raw.clone(rel_url=raw.rel_url.with_path(record.path.rstrip("/")))
            return await super().__call__(raw)
        rtype = self.store.resource_type(api_path.group, api_path.version, api_path.plural)
        try:
            if rtype is None or (api_path.namespace is not None and not rtype.namespaced):
                raise ApiError.no_such_resource()
            if api_path.subresource not in (None, "status") or (api_path.subresource and not rtype.has_status):
                raise ApiError.no_such_resource()
            return await self._serve(raw, record, rtype, api_path)
        except ApiError as error:
            return json_response(error.status(), error.code)

    async def _serve(
        self, raw: aiohttp.web.BaseRequest, record: RecordedRequest, rtype: ResourceType, path: ApiPath
    ) -> aiohttp.web.StreamResponse:
        query = record.query
        store, namespace, name = self.store, path.namespace, path.name
        dry_run = query.get("dryRun") == "All"
        # Without ?fieldManager=, kube-apiserver names the writer after its User-Agent's product token.
        manager = query.get("fieldManager") or (raw.headers.get("User-Agent") or "unknown").split("/")[0]
        if rtype.namespaced and namespace is None and (name is not None or record.method != "GET"):
            if name is not None:
                raise ApiError.no_such_resource()
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        match record.method, name:
            case "GET", None if query.get("watch") in {"true", "1"}:
                return await self._serve_watch(raw, rtype, namespace, query)
            case "GET", None:
                return json_response(
                    store.list_response(
                        rtype,
                        namespace,
                        label_selector=query.get("labelSelector"),
                        field_selector=query.get("fieldSelector"),
                        limit=query.get("limit"),
                        continue_token=query.get("continue"),
                    )
                )
            case "GET", _:
                return json_response(store.get(rtype, namespace, name))
            case "POST", None:
                return json_response(store.create(rtype, namespace, record.body, manager=manager, dry_run=dry_run), 201)
            case "PUT", str():
                return json_response(
                    store.replace(
                        rtype,
                        namespace,
                        name,
                        record.body,
                        manager=manager,
                        subresource=path.subresource,
                        dry_run=dry_run,
                    )
                )
            case "PATCH", str():
                force = query.get("force")
                # Apply is the one write that insists on an explicit fieldManager.
                applying = (record.content_type or "").split(";")[0].strip().lower() == APPLY_PATCH
                code, obj = store.patch(
                    rtype,
                    namespace,
                    name,
                    record.raw_body,
                    record.content_type or "",
                    manager=query.get("fieldManager") if applying else manager,
                    force=None if force is None else force.lower() in {"true", "1"},
                    subresource=path.subresource,
                    dry_run=dry_run,
                )
                return json_response(obj, code)
            case "DELETE", str():
                return json_response(store.delete(rtype, namespace, name, options=record.body, dry_run=dry_run))
            case "DELETE", None:
                return json_response(
                    store.delete_collection(
                        rtype,
                        namespace,
                        label_selector=query.get("labelSelector"),
                        field_selector=query.get("fieldSelector"),
                        dry_run=dry_run,
                    )
                )
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    async def _serve_watch(
        self, raw: aiohttp.web.BaseRequest, rtype: ResourceType, namespace: str | None, query: dict
    ) -> aiohttp.web.StreamResponse:
        """Stream watch events as JSON lines until timeoutSeconds, the client leaves, or a reset."""
        loop = asyncio.get_running_loop()
        try:
            timeout = float(query["timeoutSeconds"]) if query.get("timeoutSeconds") else None
        except ValueError:
            raise ApiError.bad_request(f"timeoutSeconds: Invalid value: {query['timeoutSeconds']!r}") from None
        deadline = None if timeout is None else loop.time() + timeout
        watcher = self.store.watch(
            loop,
            rtype,
            namespace,
            label_selector=query.get("labelSelector"),
            field_selector=query.get("fieldSelector"),
            resource_version=query.get("resourceVersion"),
        )
        response = aiohttp.web.StreamResponse(headers={"Content-Type": "application/json"})
        try:
            await response.prepare(raw)
            while True:
                remaining = None if deadline is None else deadline - loop.time()
                if remaining is not None and remaining <= 0:
                    break
                try:
                    item = await asyncio.wait_for(watcher.queue.get(), remaining)
                except TimeoutError:
                    break
                if item is None:  # the store was cleared: end the stream as a server restart would
                    break
                event_type, obj = item
                await response.write(json.dumps({"type": event_type, "object": obj}).encode() + b"\n")
            await response.write_eof()
        except ConnectionError:
            pass  # the client went away
        finally:
            self.store.unwatch(watcher)
        return response

    def _fault_response(self, fault: Fault, record: RecordedRequest) -> aiohttp.web.Response:
        headers = (
            dict(fault.headers)
            if fault.headers is not None
            else ({"Retry-After": "1"} if fault.status in {429, 503} else {})
        )
        if isinstance(fault.body, (bytes, str)):
            return aiohttp.web.Response(body=fault.body, status=fault.status, headers=headers)
        if fault.body is not None:
            return json_response(fault.body, fault.status, headers)
        return json_response(self._fault_status(fault, record, headers), fault.status, headers)

    def _fault_status(self, fault: Fault, record: RecordedRequest, headers: dict) -> dict:
        """A realistic Status body for an injected failure, worded as kube-apiserver words it."""
        code = fault.status
        api_path = parse_api_path(record.path)
        rtype = api_path and self.store.resource_type(api_path.group, api_path.version, api_path.plural)
        name = api_path.name if api_path and api_path.name else ""
        if not name and isinstance(record.body, dict):  # a create names its object in the body
            name = (record.body.get("metadata") or {}).get("name", "")
        if rtype is not None and code == 422:
            # `message` words the field error; the API server prefixes it with the object it rejects.
            problem = fault.message or "metadata.annotations: Too long: must have at most 262144 bytes"
            field, _, detail = problem.partition(": ")
            return ApiError.invalid(rtype, name, [(field, detail)]).status()
        if rtype is not None and code == 404 and fault.message is None:
            return ApiError.not_found(rtype, name).status()
        if rtype is not None and code == 409 and fault.message is None:
            return ApiError.modified(rtype, name).status()
        default_messages = {
            400: "the server rejected our request for an unknown reason",
            401: "Unauthorized",
            403: (
                f'{rtype.group_resource if rtype else "resource"} "{name}" is forbidden: User '
                f'"system:serviceaccount:portico:portico" cannot {record.method.lower()} this resource'
            ),
            429: "the server has received too many requests and has asked us to try again later",
            500: "Internal error occurred: etcdserver: request timed out",
            503: "the server is currently unable to handle the request",
            504: (
                "the server was unable to return a response in the time allotted, "
                "but may still be processing the request"
            ),
        }
        details: dict = {}
        if headers.get("Retry-After", "").isdigit():
            details["retryAfterSeconds"] = int(headers["Retry-After"])
        return ApiError(
            code,
            _REASONS.get(code, "Unknown"),
            fault.message or default_messages.get(code, f"injected failure {code}"),
            details,
        ).status()
