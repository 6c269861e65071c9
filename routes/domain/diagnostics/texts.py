"""Every sentence the diagnostics chain shows a developer, in one place: step titles, what each step found and
what to do about it, condition messages, and the meaning of the Gateway API reasons.

Templates use ``str.format`` fields, filled in by the step that reports them (``routes.domain.diagnostics``).
The Gateway API chain's own sentences are in ``gateway_texts``, beside these.
Keeping the words apart from the judgement lets them be reviewed, and one day translated, as a whole.
"""

from __future__ import annotations

# Step titles, in chain order.

STEP_TITLES = {
    "cluster": "Cluster reachable",
    "ingress-class": "Ingress controller installed (IngressClass exists)",
    "ingress": "Ingress present with an address",
    "service": "Service exposes the port",
    "endpoints": "Ready pods behind the Service",
    "certificate": "TLS certificate ready",
    "claim": "Host claim held",
}
GATEWAY_STEP_TITLES = {
    "cluster": "Cluster reachable",
    "gateway": "Gateway exists and has an address",
    "http-route": "HTTPRoute accepted by the Gateway",
    "refs": "HTTPRoute references resolved",
    "service": "Service exposes the port",
    "endpoints": "Ready pods behind the Service",
    "tls": "TLS terminated by the Gateway listener",
    "claim": "Host claim held",
}

# Said by several steps.

DIRECTORY_DETAIL = "exported to a folder; Portico does not observe this cluster"
UNREACHABLE_DETAIL = "Skipped: the cluster could not be reached, so this cannot be checked."
YOUR_HOST = "your host"
TLS_OFF_FIX = "Unless this is deliberate, edit the route in Portico and choose TLS mode cert-manager."

# Cluster

CLUSTER_UNREACHABLE = (
    "Portico could not reach this cluster's API server at its last check, so it cannot tell whether "
    "traffic to your route works. Your route may still be serving; it is just not observed."
)
CLUSTER_UNREACHABLE_FIX = (
    "A platform engineer should check the cluster on Portico's Clusters page (its health message says "
    "why), that the API server is up and reachable from the Portico worker, and that the stored "
    "kubeconfig credentials have not expired (replace them with `manage.py add_cluster`)."
)
CLUSTER_NOT_CHECKED = "Portico has not checked this cluster yet; the first check runs within a minute."
CLUSTER_REACHED = "Portico reached the cluster's API server at its last check."
CLUSTER_SCHEMA_FIX = (
    "Nothing to do for this route: it was applied. A platform engineer upgrades Portico to check objects "
    "against the cluster's own version."
)

# The last apply

APPLY_FAILED = "The cluster's API server rejected Portico's last apply: {error}. {live}"
APPLY_FAILED_STILL_LIVE = "The previously applied {front} is still live on the cluster."
APPLY_FAILED_NOTHING_LIVE = "Nothing is live on the cluster for this route."
APPLY_FAILED_FIX = (
    "Edit the route in Portico so it passes the API server's validation (the message names the field at "
    "fault) and save a new revision; Portico applies it once it is approved."
)

# IngressClass

INGRESS_CLASS_NAMED = "IngressClass {name}"
INGRESS_CLASS_UNNAMED = "The cluster's IngressClass"
INGRESS_CLASS_MISSING = (
    "{label} does not exist on this cluster, so no ingress controller is installed for it: your "
    "Ingress is stored but nothing reads it, and no traffic reaches your Service."
)
INGRESS_CLASS_MISSING_FIX = (
    "A platform engineer should install an ingress controller that provides this class (for example "
    "ingress-nginx), or set the cluster's ingress class in Portico to one listed by "
    "`kubectl get ingressclass`."
)
INGRESS_CLASS_NOT_CHECKED = "Portico has not checked this cluster's IngressClasses yet."
INGRESS_CLASS_FOUND = "{label} exists: an ingress controller is installed to serve your Ingress."

# Ingress (and, on a directory cluster, any kind of manifest)

EXPORTED = (
    "The manifests of the approved revision are written to the cluster's folder; your GitOps tool "
    "(Argo CD, Flux) applies them from there."
)
NOT_EXPORTED = "The approved revision is not written to the cluster's folder yet; Portico writes it shortly."
FRONT_DELETED = "The {front} has been removed from the cluster, as the deletion requested."
FRONT_NOT_APPLIED = "The {front} is not on the cluster yet: Portico creates it when it applies the approved revision."
FRONT_GONE = (
    "The {front} Portico applied is gone from the cluster (deleted by hand or by another tool), so "
    "{proxy} has no rule for your host and answers 404. Portico re-creates it at the next sync (about every 30 s)."
)
FRONT_GONE_FIX = (
    "If it keeps disappearing, find what deletes it: `kubectl -n {ns} get events "
    "--field-selector involvedObject.kind={front}`, and make sure no GitOps tool or cleanup job prunes "
    "objects labelled `app.kubernetes.io/managed-by=portico`."
)
INGRESS_ADDRESS_PENDING = (
    "Ingress {ns}/{name} exists, but the ingress controller has not published an address for "
    "it yet, so DNS for your host has nothing to point at. This usually takes a few seconds to a minute."
)
INGRESS_ADDRESS_PENDING_FIX = (
    "If it stays without an address, check the controller picked it up: `kubectl -n {ns} "
    "describe ingress {name}` (look at Events), and that the controller's own Service of type "
    "LoadBalancer has an external IP (`kubectl get svc -A | grep -i ingress`)."
)
INGRESS_SERVED = "Ingress {ns}/{name} is served at {address}. Point the DNS record for {host} at this address."

# Service

SERVICE_MISSING = (
    "Your {front} sends traffic to Service {name}, which does not exist in namespace {ns}: "
    "{proxy} has nowhere to send requests and answers 503."
)
SERVICE_MISSING_FIX = (
    "Create the Service, or change the route's service name in Portico to an existing one "
    "(`kubectl -n {ns} get services`)."
)
SERVICE_NO_PORTS = "no ports at all"
SERVICE_PORT_NOT_FOUND = (
    "The route sends traffic to port {port} of Service {name}, but the Service exposes "
    "{offered}: {proxy} cannot connect and answers 503."
)
SERVICE_PORT_NOT_FOUND_FIX = (
    "Change the route's service port in Portico to one the Service exposes, by number or by name, or "
    "add the port to the Service (`kubectl -n {ns} get service {name} -o yaml`)."
)
SERVICE_EXTERNAL_NAME = (
    "Service {name} is an ExternalName alias for {target}: traffic is forwarded to that DNS name, outside the cluster."
)
SERVICE_EXTERNAL_TARGET_UNNAMED = "an external name"
SERVICE_NODE_PORT_OPENS = "it also opens {ports} on every node of the cluster"
SERVICE_NODE_PORTS = "port {ports}"
SERVICE_NODE_PORT_UNNAMED = "a port"
SERVICE_LOAD_BALANCER = "it also gets a cloud load balancer of its own, with its own cost and public IP"
SERVICE_EXPOSED_ELSEWHERE = (
    "Service {name} is of type {type}: {exposure}, reachable without going through the "
    "{front} (and its TLS). The {front} already exposes the Service, so ClusterIP suffices."
)
SERVICE_EXPOSED_ELSEWHERE_FIX = (
    "For a Service Portico manages, set the route's service type to ClusterIP; for your own Service, "
    '`kubectl -n {ns} patch service {name} -p \'{{"spec":{{"type":"ClusterIP"}}}}\'`.'
)
SERVICE_FOUND = "Service {name} exists and exposes port {port}."

# Endpoints

ENDPOINTS_NO_SERVICE = "There is no Service {name} whose endpoints could be checked."
ENDPOINTS_EXTERNAL_NAME = (
    "ExternalName Services have no endpoints: traffic goes to the external DNS name, whose health "
    "Portico does not check."
)
ENDPOINTS_LEAVING = " ({count} more {verb} shutting down and not counted.)"
ENDPOINTS_NO_SELECTOR = (
    "Service {name} has no selector, so Kubernetes does not find pods for it, and nobody has added "
    "endpoints by hand: requests have nowhere to go.{leaving}"
)
ENDPOINTS_NO_SELECTOR_FIX = (
    "Give the Service a selector matching your pods' labels (`kubectl -n {ns} get pods "
    "--show-labels`), or route to a Service that has one."
)
ENDPOINTS_NONE_SELECTED = (
    "The Service selects no pods: check the selector labels match your pod labels. Service {name} looks "
    "for pods labelled {labels} in namespace {ns}, and no running pod has them, so requests "
    "have nowhere to go.{leaving}"
)
ENDPOINTS_NONE_SELECTED_FIX = (
    "Compare `kubectl -n {ns} get pods --show-labels` with the selector ({labels}); fix the labels "
    "in your Deployment's pod template, or the route's selector in Portico for a Service Portico "
    "manages. If there simply are no pods, scale up: `kubectl -n {ns} get deployments`."
)
ENDPOINTS_NONE_READY = (
    "Service {name} selects {total} {pods}, but none is ready: they are still starting, crashing, "
    "or failing their readiness probe, so the Service sends them no traffic.{leaving}"
)
ENDPOINTS_NONE_READY_FIX = (
    "See why: `{list_pods}` then `kubectl -n {ns} describe pod <pod>` (readiness "
    "probe failures show under Events) and `kubectl -n {ns} logs <pod>`."
)
ENDPOINTS_SOME_READY = (
    "{ready} of {total} {pods} behind Service {name} are ready; traffic goes only to the ready ones.{leaving}"
)
ENDPOINTS_SOME_READY_FIX = "Look at the pods that are not ready: `{list_pods}`."
ENDPOINTS_ALL_READY = "All {total} {pods} behind Service {name} are ready to receive traffic.{leaving}"

# Certificate (Ingress output)

TLS_OFF = (
    "TLS is off for this route: traffic to {host} is plain HTTP, readable and changeable by anyone on the network path."
)
TLS_OWN_SECRET = (
    "TLS uses an existing Secret{named} that your team provides; Portico neither issues nor checks it. "
    "Keep it valid for your host and renew it before it expires."
)
TLS_OWN_SECRET_FIX = (
    "Check its expiry: `kubectl -n {ns} get secret {secret} -o jsonpath='{{.data.tls\\.crt}}' "
    "| base64 -d | openssl x509 -noout -enddate`."
)
CLUSTER_DEFAULT_ISSUER = "(the cluster's default)"
CERT_MANAGER_MISSING = (
    "cert-manager is not installed on this cluster (its Certificate resource type is missing), so no "
    "certificate is issued for your host and HTTPS does not work."
)
CERT_MANAGER_MISSING_FIX = (
    "A platform engineer should install cert-manager on the cluster, or edit the route in Portico to use "
    "TLS mode secret with a Secret you provide."
)
ISSUER_MISSING = (
    "ClusterIssuer {issuer} does not exist on this cluster, so cert-manager cannot issue the certificate "
    "and HTTPS does not work."
)
ISSUER_MISSING_FIX = (
    "Edit the route in Portico to use an issuer listed by `kubectl get clusterissuer`, or ask a platform "
    "engineer to create this one."
)
CERTIFICATE_MISSING = (
    "The cert-manager Certificate for your host is not on the cluster yet; Portico creates it when it "
    "applies the route, and re-creates it at the next sync if it was deleted."
)
CERTIFICATE_MISSING_FIX = "If this persists, look for it: `kubectl -n {ns} get certificates`."
CERTIFICATE_DESCRIBE = "`kubectl -n {ns} describe certificate {name}`"
CERTIFICATE_CHASE = (
    "{describe}, then follow the chain it names: `kubectl -n {ns} get certificaterequests,orders,challenges`. "
    "For ACME HTTP-01 the host's DNS must point at the Ingress address and `/.well-known/acme-challenge/` "
    "must be reachable over plain HTTP."
)
CERTIFICATE_FAILED = (
    "cert-manager failed to issue the certificate ({reason}): {message}. Until it "
    "succeeds, browsers reject HTTPS to your host."
)
NO_MESSAGE = "no message given"
CERTIFICATE_NOT_PROCESSED = "cert-manager has not processed the Certificate yet; issuance starts shortly."
CERTIFICATE_ISSUING = (
    "cert-manager is issuing the certificate ({reason}){message}. This usually takes under a few minutes."
)
CERTIFICATE_ISSUING_FIX = "If it takes longer than ten minutes: {chase}"
CERTIFICATE_EXPIRED = "The certificate expired on {not_after}; browsers reject HTTPS to your host."
CERTIFICATE_EXPIRED_FIX = "Find out why cert-manager did not renew it: {describe}."
CERTIFICATE_EXPIRING = (
    "The certificate is valid but expires on {not_after} (in {days} day{plural}). "
    "cert-manager normally renews well before that, so renewal is probably failing."
)
CERTIFICATE_EXPIRING_FIX = (
    "Find out why it is not renewing: {describe}, and `kubectl -n {ns} get certificaterequests,orders,challenges`."
)
CERTIFICATE_ISSUER_GONE = "The certificate is valid, but ClusterIssuer {issuer} no longer exists, so renewal will fail."
CERTIFICATE_ISSUER_GONE_FIX = "Edit the route in Portico to use an issuer listed by `kubectl get clusterissuer`."
CERTIFICATE_READY = "The certificate for {host} is issued and valid{until}; cert-manager renews it."

# Host claim and foreign Ingresses

THIS_HOST = "this host"
CLAIM_LOST = (
    "Your team no longer holds the claim on {host}: it was released or another team holds it, so "
    "Portico will not keep serving it for you."
)
CLAIM_LOST_FIX = (
    "Ask the owning team or a platform engineer about the claim on {host} (Portico's Host claims page), "
    "or move the route to a host under your team's domains."
)
FOREIGN_INGRESS = (
    "Ingress {others}, not managed by Portico, also serves {host}{path}: the ingress controller picks "
    "one of them, so your traffic may go to the other one's backend."
)
FOREIGN_INGRESS_FIX = (
    "Remove or change the other Ingress (`kubectl -n {ns} get ingress {name} -o yaml`), "
    "or bring it under Portico with `manage.py import_ingresses --cluster <cluster>`."
)
CLAIM_HELD = "Your team holds the claim on {host}."
CLAIM_HELD_NO_FOREIGN = "Your team holds the claim on {host}, and no other Ingress serves this path."

# Conditions

SYNCED_DELETING = "The route's objects are being removed from the cluster."
SYNCED_TRUE = "The cluster is at the approved revision."
SYNCED_FALSE = "The cluster is not at the approved revision yet."
HOST_CLAIMED = "The route's team holds the claim on {host}."
HOST_CLAIM_LOST = "The route's team no longer holds the claim on {host}."
CONFLICT_FOREIGN = "Unmanaged Ingress {others} serves the same host and path."
CONFLICT_NONE = "No unmanaged Ingress serves the same host and path."
