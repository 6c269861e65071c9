"""What team shop runs on the live demo cluster: its Services and EndpointSlices, the small HTTP servers that stand
for its pods behind Traefik, and the reachability settings that point the worker's checks at the demo's Traefik."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from django.conf import settings

from clusters.devcluster import ApiError, LocalCluster
from clusters.devcluster.traffic import backend_address

DEMO_HTTPS_PORT = int(os.environ.get("PORTICO_DEMO_HTTPS_PORT", "8443"))
DEMO_HTTP_PORT = int(os.environ.get("PORTICO_DEMO_HTTP_PORT", "8081"))
DEMO_HOSTS = ("shop.example.com",)


NAMESPACE = "shop"
# What team shop runs on the live cluster, as its own deployments would have made them: (Service or None when
# Portico manages it, the Service name, its port, the pods' port). The EndpointSlice stands for ready pods.
WORKLOADS = (
    ("frontend", None, 8080),  # the frontend route's managed Service (port 80 -> 8080) selects these pods
    ("api", 8000, 8000),  # the api route names an existing Service
)


class DemoBackend:
    """One of team shop's workloads: an HTTP server on this machine's address (EndpointSlices may not list
    loopback ones) that answers with its name, the path and the Host it was asked for."""

    def __init__(self, name: str, port: int):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = f"Hello from {name} (team shop) on the live cluster: {self.headers.get('Host')}{self.path}\n"
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        address = backend_address()
        try:
            self.server = ThreadingHTTPServer((address, port), Handler)
        except OSError:  # the pods' usual port is taken on this machine: any port does, the EndpointSlice says which
            self.server = ThreadingHTTPServer((address, 0), Handler)
        self.address, self.port = self.server.server_address[:2]
        self._thread = threading.Thread(target=self.server.serve_forever, name=f"demo-{name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def seed_workloads(cluster: LocalCluster, backends: dict | None = None) -> None:
    """What team shop deployed itself, as the admin identity: namespace ``shop``, the ``api`` Service, and one
    ready EndpointSlice per workload (no pods run here; the EndpointSlice controller would have made these).
    With ``backends`` (name -> DemoBackend) the EndpointSlices list them, so Traefik really sends to them."""
    _create(cluster, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    for index, (name, service_port, pod_port) in enumerate(WORKLOADS):
        if service_port is not None:
            _create(
                cluster,
                f"/api/v1/namespaces/{NAMESPACE}/services",
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": name, "namespace": NAMESPACE},
                    "spec": {
                        "selector": {"app": name},
                        "ports": [{"name": "http", "port": service_port, "targetPort": pod_port}],
                    },
                },
            )
        _create(
            cluster,
            f"/apis/discovery.k8s.io/v1/namespaces/{NAMESPACE}/endpointslices",
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": f"{name}-demo",
                    "namespace": NAMESPACE,
                    "labels": {
                        "kubernetes.io/service-name": name,
                        "endpointslice.kubernetes.io/managed-by": "demo.portico.dev",
                    },
                },
                "addressType": "IPv4",
                "endpoints": (
                    [{"addresses": [backends[name].address], "conditions": {"ready": True}}]
                    if backends
                    else [
                        {"addresses": [f"10.244.0.{10 + index * 2 + n}"], "conditions": {"ready": True}}
                        for n in range(2)
                    ]
                ),
                "ports": [{"name": "http", "port": backends[name].port if backends else pod_port, "protocol": "TCP"}],
            },
        )


def live_demo_reachability(workdir: Path | None = None) -> dict[str, str]:
    """The reachability settings (environment) that point the worker's checks at the live demo's Traefik."""
    workdir = Path(workdir or Path(settings.VAR_DIR) / "live-cluster")
    return {
        "PORTICO_REACHABILITY_RESOLVE": ",".join(f"{host}=127.0.0.1" for host in DEMO_HOSTS),
        "PORTICO_REACHABILITY_HTTPS_PORT": str(DEMO_HTTPS_PORT),
        "PORTICO_REACHABILITY_HTTP_PORT": str(DEMO_HTTP_PORT),
        "PORTICO_REACHABILITY_CA_FILE": str(workdir / "traffic" / "portico-ca.crt"),
    }


def _create(cluster: LocalCluster, collection: str, obj: dict) -> None:
    try:
        cluster.request("POST", f"{collection}?fieldManager=portico-demo", obj)
    except ApiError as exc:
        if exc.status != 409:  # already there
            raise
