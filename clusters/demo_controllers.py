"""For `make run`'s demo only: plays the ingress controller and cert-manager on the live demo cluster.

The live demo cluster is a real kube-apiserver with no controllers (docs/dev-cluster.md). Without them every
route there would stay Progressing: nothing gives an Ingress a load balancer address and nothing issues
certificates. This process stands in for both, as a real controller would, through the status subresource and
as the cluster's admin identity (Portico's own identity may not write status):

- an Ingress of the demo's IngressClass gets a load balancer address a moment after it first appears;
- a Certificate is marked Ready (with notBefore/notAfter) a moment after it first appears.

It never touches spec, never creates or deletes objects, and runs only under `make run` (`manage.py
demo_controllers`). No traffic flows: the address is from a documentation range (RFC 5737), and no certificate or
Secret is issued. Never point it at a real cluster.
"""

from __future__ import annotations

import base64
import datetime
import json
import logging
import threading
import time
from collections.abc import Callable

import urllib3

logger = logging.getLogger(__name__)

DEMO_ADDRESS = "203.0.113.10"  # TEST-NET-3 (RFC 5737): documentation only, routes nowhere
DEMO_INGRESS_CLASS = "nginx"
DEFAULT_DELAY = 3.0
CERTIFICATE_DAYS = 90


class DemoControllers:
    """One pass (``step``) or a loop (``run``) over the cluster's Ingresses and Certificates.

    ``kubeconfig`` is an inline kubeconfig (server, certificate-authority-data, token) allowed to write status;
    ``delay`` is how long after first seeing an object it is acted on, so a newcomer sees Progressing first.
    """

    def __init__(
        self,
        kubeconfig: dict,
        *,
        address: str = DEMO_ADDRESS,
        ingress_class: str = DEMO_INGRESS_CLASS,
        delay: float = DEFAULT_DELAY,
        clock: Callable[[], float] = time.monotonic,
    ):
        context_name = kubeconfig.get("current-context")
        context = next(c["context"] for c in kubeconfig["contexts"] if c["name"] == context_name)
        cluster = next(c["cluster"] for c in kubeconfig["clusters"] if c["name"] == context["cluster"])
        user = next(u["user"] for u in kubeconfig["users"] if u["name"] == context["user"])
        self.server = cluster["server"].rstrip("/")
        self._token = user["token"]
        self._http = urllib3.PoolManager(
            cert_reqs="CERT_REQUIRED",
            retries=False,
            maxsize=2,
            ca_cert_data=base64.b64decode(cluster["certificate-authority-data"]).decode(),
        )
        self.address = address
        self.ingress_class = ingress_class
        self.delay = delay
        self._clock = clock
        self._first_seen: dict[str, float] = {}

    def step(self) -> list[str]:
        """Act on every object whose moment has come; returns what was done, one line each."""
        done = []
        seen = set()
        for ingress in self._list("/apis/networking.k8s.io/v1/ingresses"):
            key = self._key("Ingress", ingress)
            if ingress.get("spec", {}).get("ingressClassName") != self.ingress_class or _has_address(ingress):
                continue
            seen.add(key)
            if self._due(key):
                meta = ingress["metadata"]
                self._patch_status(
                    f"/apis/networking.k8s.io/v1/namespaces/{meta['namespace']}/ingresses/{meta['name']}",
                    {"loadBalancer": {"ingress": [{"ip": self.address}]}},
                )
                done.append(
                    f"ingress controller: Ingress {meta['namespace']}/{meta['name']} has address {self.address}"
                )
        for certificate in self._list("/apis/cert-manager.io/v1/certificates"):
            key = self._key("Certificate", certificate)
            if _is_ready(certificate):
                continue
            seen.add(key)
            if self._due(key):
                meta = certificate["metadata"]
                self._patch_status(
                    f"/apis/cert-manager.io/v1/namespaces/{meta['namespace']}/certificates/{meta['name']}",
                    _ready_status(certificate),
                )
                done.append(f"cert-manager: Certificate {meta['namespace']}/{meta['name']} is Ready")
        # Forget what is gone or done, so an object that loses its status again waits its moment again.
        self._first_seen = {key: at for key, at in self._first_seen.items() if key in seen}
        return done

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Step every ``interval`` seconds until ``stop`` is set; an unreachable server is logged, not fatal."""
        while not stop.is_set():
            try:
                for line in self.step():
                    logger.info("demo %s", line)
            except (urllib3.exceptions.HTTPError, DemoApiError) as exc:
                logger.warning("demo controllers: %s", exc)
            stop.wait(interval)

    def _due(self, key: str) -> bool:
        now = self._clock()
        first = self._first_seen.setdefault(key, now)
        return now - first >= self.delay

    @staticmethod
    def _key(kind: str, obj: dict) -> str:
        meta = obj["metadata"]
        return f"{kind}/{meta['namespace']}/{meta['name']}/{meta['uid']}"

    def _list(self, path: str) -> list[dict]:
        items: list[dict] = []
        token = ""
        while True:
            listed = self._request("GET", f"{path}?limit=500" + (f"&continue={token}" if token else ""))
            items += listed.get("items") or []
            token = listed.get("metadata", {}).get("continue")
            if not token:
                return items

    def _patch_status(self, path: str, status: dict) -> None:
        self._request(
            "PATCH",
            f"{path}/status?fieldManager=portico-demo-controllers",
            {"status": status},
            content_type="application/merge-patch+json",
        )

    def _request(self, method: str, path: str, body: dict | None = None, *, content_type: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
            data = json.dumps(body).encode()
        response = self._http.request(method, self.server + path, body=data, headers=headers, timeout=10.0)
        if response.status >= 400:
            try:
                message = json.loads(response.data).get("message", "")
            except ValueError:
                message = ""
            raise DemoApiError(f"{method} {path.split('?')[0]}: {response.status} {message}")
        return json.loads(response.data) if response.data else {}

    def close(self) -> None:
        self._http.clear()


class DemoApiError(RuntimeError):
    """The API server refused a request of the demo controllers."""


def _has_address(ingress: dict) -> bool:
    return bool(((ingress.get("status") or {}).get("loadBalancer") or {}).get("ingress"))


def _is_ready(certificate: dict) -> bool:
    conditions = (certificate.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _ready_status(certificate: dict) -> dict:
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    return {
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "Ready",
                "message": "Certificate is up to date and has not expired (demo: no certificate was issued)",
                "lastTransitionTime": stamp(now),
                "observedGeneration": certificate["metadata"].get("generation", 1),
            }
        ],
        "notBefore": stamp(now),
        "notAfter": stamp(now + datetime.timedelta(days=CERTIFICATE_DAYS)),
        "renewalTime": stamp(now + datetime.timedelta(days=CERTIFICATE_DAYS * 2 // 3)),
        "revision": 1,
    }
