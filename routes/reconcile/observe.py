"""After applying: read back what the cluster has for a route (from the sync's snapshot or one GET per object)
into the plain ``Observed`` values the pure diagnostics judge."""

from clusters.kube import CERTIFICATE, ENDPOINT_SLICE, HTTP_ROUTE, INGRESS, SERVICE
from clusters.models import Cluster
from clusters.probe import read_gateway
from routes.adapters import cluster_settings, foreign_paths
from routes.domain import render
from routes.domain.diagnostics.shared import Observed
from routes.domain.validation import schema_warning
from routes.domain.values import RouteSpec
from routes.models import HostClaim, Route

from .objects import kind_key
from .snapshot import Listed
from .surroundings import read_surroundings


def observe_one(route: Route, cluster: Cluster, spec: RouteSpec, target, live: dict, listed: Listed | None) -> Observed:
    if cluster.is_directory:
        return observation(route, cluster, spec, synced=True)
    ns = route.namespace

    def read(kind, name):
        if kind_key(kind, name, ns) in live:
            return live[kind_key(kind, name, ns)]
        return listed.get(target, kind, name, ns) if listed is not None else target.get(kind, name, ns)

    gateway_kinds = {}
    if cluster.is_gateway:
        gateway = listed.gateway if listed is not None else read_gateway(cluster, target)
        gateway_kinds = {
            "http_route": read(HTTP_ROUTE, route.name),
            "gateway": gateway,
            "gateway_present": gateway is not None,
        }
        ingress = None
    else:
        ingress = read(INGRESS, route.name)
    service = None
    slices: list[dict] = []
    if spec.backend.service_name:
        service = read(SERVICE, spec.backend.service_name)
        slices = (
            listed.endpoint_slices(ns, spec.backend.service_name)
            if listed is not None
            else target.list(
                ENDPOINT_SLICE, namespace=ns, label_selector=f"kubernetes.io/service-name={spec.backend.service_name}"
            )
        )
    around = listed.around if listed is not None and listed.around is not None else None
    if around is None:
        around = read_surroundings(cluster, target, [(ns, spec)])
    certificate = None
    if render.uses_certificate(spec, cluster_settings(cluster)):
        certificate = read(CERTIFICATE, render.certificate_name(spec.host))
    return observation(
        route,
        cluster,
        spec,
        synced=True,
        ingress=ingress,
        service=service,
        endpoint_slices=slices,
        certificate=certificate,
        **gateway_kinds,
        **around.for_route(ns, spec),
    )


def observation(route: Route, cluster: Cluster, spec: RouteSpec, **kwargs) -> Observed:
    # A caller that read the host claims of many routes at once sets ``_claim_team_id`` (None: no claim).
    claim_team = getattr(route, "_claim_team_id", _UNREAD)
    if claim_team is _UNREAD:
        claim_team = HostClaim.objects.filter(host=spec.host).values_list("team_id", flat=True).first()
    foreign = foreign_paths(cluster, spec.host, spec.path)
    return Observed(
        directory=cluster.is_directory,
        cluster_reachable=cluster.reachable,
        schema_warning="" if cluster.is_directory else schema_warning(cluster.kubernetes_minor),
        ingress_class=cluster.ingress_class,
        ingress_class_present=cluster.ingress_class_present,
        cert_manager_present=cluster.cert_manager_present,
        issuer=spec.tls.issuer or cluster.default_issuer,
        issuer_present=cluster.issuer_present,
        tls_mode=spec.tls.mode,
        host=spec.host,
        path=spec.path,
        service_name=spec.backend.service_name or "",
        service_port=spec.backend.service_port,
        claim_ok=claim_team == route.team_id,
        foreign_conflicts=foreign,
        **{**_gateway_observed(cluster), **kwargs},
    )


_UNREAD = object()


def _gateway_observed(cluster: Cluster) -> dict:
    """The Gateway reference and last probe of a Gateway API cluster, as Observed fields."""
    return {
        "output": cluster.output,
        "gateway_name": cluster.gateway_name,
        "gateway_namespace": cluster.gateway_namespace,
        "gateway_section_name": cluster.gateway_section_name,
        "gateway_present": cluster.gateway_present,
    }
