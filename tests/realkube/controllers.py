"""RealKube's stand-ins for what does not run here: controllers writing status, workloads, etcd's compaction."""

from __future__ import annotations

import base64
import copy
import json

import urllib3

from clusters.devcluster import ApiError

FAR_FUTURE = "2099-01-01T00:00:00Z"
A_WHILE_AGO = "2026-01-01T00:00:00Z"


class StandIns:
    """`RealKube`'s methods that write what controllers, a team's deployment and kube-apiserver's compaction would."""

    # The controllers that do not run here

    def set_status(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        name: str,
        status: dict,
        *,
        manager: str = "test-controller",
    ) -> dict:
        """Replace an object's status through its status subresource, as its controller would."""
        path = self._path(api_version, kind, namespace, name)
        for _ in range(5):
            current = self.server.request("GET", path)
            current["status"] = copy.deepcopy(status)
            try:
                return self.server.request("PUT", f"{path}/status?fieldManager={manager}", current)
            except ApiError as exc:
                if exc.status != 409:  # someone wrote in between: read again
                    raise
        raise AssertionError(f"Could not write the status of {path}: conflicts")

    def set_ingress_address(self, name: str, address: str = "203.0.113.7", *, namespace: str | None = None) -> dict:
        """The ingress controller publishes the load balancer's address on the Ingress (``""``: none)."""
        entry = {"hostname": address} if address and not address[0].isdigit() else {"ip": address}
        return self.set_status(
            "networking.k8s.io/v1",
            "Ingress",
            namespace or self.namespace,
            name,
            {"loadBalancer": {"ingress": [entry] if address else []}},
        )

    def set_certificate_ready(
        self,
        name: str,
        ready: bool = True,
        *,
        reason: str | None = None,
        message: str = "",
        not_after: str = FAR_FUTURE,
        namespace: str | None = None,
        **status,
    ) -> dict:
        """cert-manager marks a Certificate Ready (or not, with ``reason``) and records its expiry."""
        condition = {
            "type": "Ready",
            "status": "True" if ready else "False",
            "reason": reason or ("Ready" if ready else "Pending"),
            "message": message,
            "lastTransitionTime": A_WHILE_AGO,
        }
        body = {"conditions": [condition], **status}
        if ready:
            body.setdefault("notAfter", not_after)
        return self.set_status("cert-manager.io/v1", "Certificate", namespace or self.namespace, name, body)

    def set_gateway_status(
        self,
        name: str,
        namespace: str,
        *,
        address: str | None = "203.0.113.9",
        programmed: bool = True,
        listeners: list[dict] | None = None,
    ) -> dict:
        """The Gateway's controller: Accepted and Programmed (or not), its address, and per listener status
        (``listeners`` as the Gateway API CRD requires them; one Programmed entry per spec listener if None)."""
        gateway = self.get("gateway.networking.k8s.io/v1", "Gateway", namespace, name)
        generation = gateway["metadata"].get("generation", 1)

        def condition(kind, ok, reason):
            return {
                "type": kind,
                "status": "True" if ok else "False",
                "reason": reason,
                "message": "",
                "lastTransitionTime": A_WHILE_AGO,
                "observedGeneration": generation,
            }

        if listeners is None:
            listeners = [
                {
                    "name": listener["name"],
                    "attachedRoutes": 0,
                    "supportedKinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
                    "conditions": [condition("Programmed", programmed, "Programmed" if programmed else "Pending")],
                }
                for listener in gateway["spec"]["listeners"]
            ]
        status = {
            "conditions": [
                condition("Accepted", True, "Accepted"),
                condition("Programmed", programmed, "Programmed" if programmed else "Pending"),
            ],
            "listeners": listeners,
        }
        if address:
            status["addresses"] = [{"type": "IPAddress" if address[0].isdigit() else "Hostname", "value": address}]
        return self.set_status("gateway.networking.k8s.io/v1", "Gateway", namespace, name, status)

    def set_httproute_status(
        self,
        name: str,
        parent_ref: dict,
        *,
        accepted=("True", "Accepted", ""),
        resolved=("True", "ResolvedRefs", ""),
        controller: str = "example.com/gateway",
        namespace: str | None = None,
    ) -> dict:
        """The Gateway's controller reports on an HTTPRoute for one parentRef: Accepted and ResolvedRefs, each
        (status, reason, message)."""
        route = self.get("gateway.networking.k8s.io/v1", "HTTPRoute", namespace or self.namespace, name)
        generation = route["metadata"].get("generation", 1)
        conditions = [
            {
                "type": kind,
                "status": status,
                "reason": reason,
                "message": message,
                "lastTransitionTime": A_WHILE_AGO,
                "observedGeneration": generation,
            }
            for kind, (status, reason, message) in (("Accepted", accepted), ("ResolvedRefs", resolved))
        ]
        return self.set_status(
            "gateway.networking.k8s.io/v1",
            "HTTPRoute",
            namespace or self.namespace,
            name,
            {"parents": [{"parentRef": parent_ref, "controllerName": controller, "conditions": conditions}]},
        )

    # etcd

    def compact(self) -> int:
        """Compact etcd's history up to its current revision, as kube-apiserver does every 5 minutes
        (--etcd-compaction-interval): continue tokens and resourceVersions from before are too old now, and
        requests that need them from etcd answer 410 Gone. Returns the revision compacted at.

        Lists served from the API server's watch cache keep their snapshots a while longer; kinds without a
        watch cache (Events) reach etcd at once."""
        http = urllib3.PoolManager()
        url = self.etcd_url
        answer = http.request("POST", f"{url}/v3/kv/range", body=json.dumps({"key": base64.b64encode(b"/").decode()}))
        revision = int(json.loads(answer.data)["header"]["revision"])
        done = http.request(
            "POST", f"{url}/v3/kv/compaction", body=json.dumps({"revision": revision, "physical": True})
        )
        assert done.status == 200, done.data
        return revision

    @property
    def etcd_url(self) -> str:
        """etcd's client URL (its v3 JSON gateway), from the command line the server was started with."""
        for process in self.server._processes:
            for arg in process.popen.args:
                if arg.startswith("--listen-client-urls="):
                    return arg.split("=", 1)[1].split(",")[0]
        raise AssertionError("etcd is not running")

    # Workloads, as the team's own deployment would have made them

    def service(
        self,
        name: str = "cart",
        *,
        port: int = 8080,
        selector: dict | None = None,
        namespace: str | None = None,
        **spec,
    ) -> dict:
        """A ClusterIP Service (the cluster allocates its IP)."""
        body = {
            "selector": selector if selector is not None else {"app": name},
            "ports": [{"name": "http", "port": port, "targetPort": port}],
            **spec,
        }
        return self.create(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": namespace or self.namespace},
                "spec": body,
            }
        )

    def endpoint_slice(
        self,
        service: str = "cart",
        *,
        addresses=("10.0.0.5",),
        ready: bool = True,
        port: int = 8080,
        name: str | None = None,
        namespace: str | None = None,
    ) -> dict:
        """An EndpointSlice for ``service``, as the EndpointSlice controller would make it from its pods."""
        return self.create(
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": name or f"{service}-abc",
                    "namespace": namespace or self.namespace,
                    "labels": {
                        "kubernetes.io/service-name": service,
                        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                    },
                },
                "addressType": "IPv4",
                "endpoints": [{"addresses": [address], "conditions": {"ready": ready}} for address in addresses],
                "ports": [{"name": "http", "port": port, "protocol": "TCP"}],
            }
        )

    def serve(self, name: str = "cart", *, port: int = 8080, ready: bool = True) -> dict:
        """Service ``name`` with one pod behind it (ready unless told): what serve_cart seeds on the emulator."""
        service = self.service(name, port=port)
        self.endpoint_slice(name, port=port, ready=ready)
        return service
