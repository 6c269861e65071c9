"""The traffic-flow picture of a route: client -> DNS -> load balancer -> ingress controller -> Ingress or
HTTPRoute -> Service -> ready endpoints, with the certificate beside it (templates/routes/htmx/_traffic_flow.html).

Each hop gets the real names, addresses and counts Portico knows and a state (ok, warn, fail, unknown) from the
route's diagnostics chain (what the last sync saw on the cluster) and its last reachability check (what the
worker saw from the network). The template draws it as SVG on the server; the live status partial includes it,
so it updates with the same htmx polling.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from .adapters import revision_spec

OK, WARN, FAIL, UNKNOWN = "ok", "warn", "fail", "unknown"
_RANK = {UNKNOWN: 0, OK: 1, WARN: 2, FAIL: 3}
BOX_WIDTH, BOX_HEIGHT, GAP, LEFT, TOP = 250, 44, 18, 8, 8
CERT_LEFT = LEFT + BOX_WIDTH + 50


@dataclass
class Node:
    key: str
    title: str
    name: str
    detail: str
    state: str
    x: int = LEFT
    y: int = TOP


def _worst(*states: str | None) -> str:
    found = [s if s in _RANK else (WARN if s == "skip" else UNKNOWN) for s in states if s]
    return max(found, key=lambda s: _RANK[s], default=UNKNOWN)


def _timed(text: str, hop: dict | None) -> str:
    """``text`` with how long ``hop`` of the last reachability check took, when it was timed."""
    ms = (hop or {}).get("ms")
    return f"{text} · {ms:.0f} ms" if ms is not None else text


def _short(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def nodes(route) -> tuple[list[Node], Node]:
    """The hops left to right, and the certificate node drawn beside the ingress controller."""
    steps = {d.get("step"): d for d in route.diagnostics or []}
    reach = route.reachability or {}
    hops = {h.get("hop"): h for h in reach.get("hops") or []}
    gateway = route.cluster.is_gateway
    spec = revision_spec(route.revision_obj(route.applied_revision or route.revision))
    applied = route.applied_revision is not None

    def step_state(name: str) -> str:
        status = (steps.get(name) or {}).get("status")
        return {"ok": OK, "warn": WARN, "fail": FAIL}.get(str(status), UNKNOWN)

    dns = hops.get("dns")
    http = hops.get("http")
    tls = hops.get("tls")
    addresses = ", ".join(reach.get("addresses") or [])
    controller_name = (route.cluster.gateway_name or "Gateway") if gateway else (route.cluster.ingress_class or "")
    front = steps.get("http-route" if gateway else "ingress")
    endpoints = route.endpoints or {}
    http_state = (http or {}).get("state")
    result = [
        Node(
            "client",
            "Client",
            "worker's network" if reach else "anyone",
            reach.get("checked_at", "")[:19].replace("T", " ") if reach else "not checked yet",
            _worst(http_state) if http else UNKNOWN,
        ),
        Node(
            "dns",
            "DNS",
            _short(spec.host, 34),
            _timed(_short(addresses, 40), dns) if addresses else "not resolved yet",
            _worst((dns or {}).get("state")) if dns else UNKNOWN,
        ),
        Node(
            "lb",
            "Load balancer",
            route.address or "no address",
            "reported by the controller" if route.address else "none reported yet",
            OK if route.address else (WARN if applied else UNKNOWN),
        ),
        Node(
            "controller",
            "Gateway" if gateway else "Ingress controller",
            _short(controller_name or "?", 34),
            _timed(f"HTTP {reach.get('http_status')}", http) if reach.get("http_status") else "not reached yet",
            _worst(step_state("gateway" if gateway else "ingress-class"), http_state if http_state == FAIL else None),
        ),
        Node(
            "front",
            "HTTPRoute" if gateway else "Ingress",
            _short(route.name, 34),
            _short(f"{spec.host}{spec.path}", 40),
            step_state("http-route" if gateway else "ingress") if front else UNKNOWN,
        ),
        Node(
            "service",
            "Service",
            _short(spec.backend.service_name_for(route.name) or "?", 34),
            f"port {spec.backend.service_port}" if spec.backend.service_port else "",
            step_state("service"),
        ),
        Node(
            "endpoints",
            "Endpoints",
            f"{endpoints.get('ready', 0)} of {endpoints.get('total', 0)} ready" if endpoints else "not observed",
            "ready pods" if endpoints else "",
            step_state("endpoints"),
        ),
    ]
    for index, node in enumerate(result):
        node.y = TOP + index * (BOX_HEIGHT + GAP)
    certificate = reach.get("certificate") or {}
    days = certificate.get("days_left")
    cert_step = step_state("tls" if gateway else "certificate")
    if spec.tls.mode == "none":
        cert = Node("certificate", "Certificate", "none (plain HTTP)", "", UNKNOWN)
    else:
        cert = Node(
            "certificate",
            "Certificate",
            _short(", ".join(certificate.get("names") or []) or spec.host, 34),
            _timed(f"{days} days left", tls)
            if days is not None
            else (
                "valid until " + str((route.certificate or {}).get("not_after") or "")[:10]
                if (route.certificate or {}).get("not_after")
                else "not issued yet"
            ),
            _worst(cert_step, (tls or {}).get("state")),
        )
    cert.x, cert.y = CERT_LEFT, result[3].y
    return result, cert


def picture(route) -> dict:
    """Everything the SVG template needs: nodes with positions (top to bottom, the certificate to the right of
    the ingress controller), the arrows between them, the size."""
    hop_nodes, cert = nodes(route)
    middle = LEFT + BOX_WIDTH // 2
    arrows = [
        {"x": middle, "y1": a.y + BOX_HEIGHT, "y2": b.y, "state": _worst(b.state)} for a, b in pairwise(hop_nodes)
    ]
    return {
        "nodes": hop_nodes,
        "cert": cert,
        "arrows": arrows,
        "box": BOX_WIDTH,
        "box_height": BOX_HEIGHT,
        "width": CERT_LEFT + BOX_WIDTH + LEFT,
        "height": hop_nodes[-1].y + BOX_HEIGHT + TOP,
        "cert_line": {"x1": LEFT + BOX_WIDTH, "x2": CERT_LEFT, "y": cert.y + BOX_HEIGHT // 2},
    }
