"""The sentences of the steps that catch the pitfalls which used to read Healthy: the ingress controller's pods,
the Service's target port in the pods, a pending LoadBalancer, NetworkPolicies, and an existing TLS Secret
(docs/architecture.md, "Diagnostics"). Filled in with ``str.format`` by the steps that report them."""

from __future__ import annotations

STEP_TITLES = {
    "controller": "Ingress controller has ready pods",
    "target-port": "Pods expose the Service's target port",
    "network-policy": "NetworkPolicies let the controller in",
}

# The ingress controller's pods

CONTROLLER_NOT_OBSERVED = "Portico did not look for the ingress controller's pods in this sync."
CONTROLLER_OUTSIDE = (
    "The ingress controller runs outside the cluster (IngressClass {ingress_class} says so), so Portico cannot "
    "watch its pods; the reachability check tells whether it answers."
)
CONTROLLER_UNKNOWN = (
    "Portico does not know where the ingress controller of IngressClass {ingress_class} runs{looked}, so it "
    "cannot check that its pods are up."
)
CONTROLLER_UNKNOWN_LOOKED = " (it looked for Service {namespace}/{service}, the usual one for {controller})"
CONTROLLER_UNKNOWN_FIX = (
    "A platform engineer can name the controller's Service on the IngressClass: `kubectl annotate ingressclass "
    "{ingress_class} portico.dev/controller-service=<namespace>/<service>` (or `=outside` for a controller that "
    "runs outside the cluster)."
)
CONTROLLER_SERVICE_MISSING = (
    "IngressClass {ingress_class} names Service {namespace}/{service} as its controller's, and that Service does "
    "not exist."
)
CONTROLLER_SERVICE_MISSING_FIX = (
    "Correct the annotation: `kubectl annotate --overwrite ingressclass {ingress_class} "
    "portico.dev/controller-service=<namespace>/<service>`."
)
CONTROLLER_LOST_PODS = (
    "The ingress controller published {address} for your Ingress, but its Service {namespace}/{service} has no "
    "ready pods: nothing answers at {address}, so requests to your host time out or are refused."
)
CONTROLLER_NO_PODS = (
    "The ingress controller's Service {namespace}/{service} has no ready pods, so nothing serves your Ingress."
)
CONTROLLER_NO_PODS_FIX = (
    "A platform engineer should look at the controller: `kubectl -n {namespace} get pods` and `kubectl -n "
    "{namespace} describe pod <pod>` (crash loops, failing readiness probes, a node gone)."
)
CONTROLLER_READY = "The ingress controller's Service {namespace}/{service} has {ready} ready {pods}."

# The Service's target port in the pods

TARGET_PORT_NAMED_MISSING = (
    "Service {service} sends port {port} to targetPort {target}, a port name, and none of its {ready} ready "
    "{pods} declares a container port named {target}: the EndpointSlices list them without this port, so "
    "{proxy} has nowhere to connect and answers 503."
)
TARGET_PORT_NAMED_MISSING_FIX = (
    "Name the container port in your Deployment's pod template (`ports: [{{name: {target}, containerPort: "
    "<the port your app listens on>}}]`), or set the Service's targetPort to that number."
)
TARGET_PORT_NUMBER_MISSING = (
    "The EndpointSlices of Service {service} list its {ready} ready {pods} without port {port} (targetPort "
    "{target}), so {proxy} has nowhere to connect and answers 503."
)
TARGET_PORT_NUMBER_MISMATCH = (
    "Service {service} sends port {port} to targetPort {target}, but its EndpointSlices give the pods port "
    "{found}: traffic goes to a port the Service does not name, and fails where nothing listens."
)
TARGET_PORT_NUMBER_FIX = (
    "Set the Service's targetPort to the port your app listens on (`kubectl -n {ns} get service {service} -o yaml`"
    " and the containerPort in your pod template), and check `kubectl -n {ns} get endpointslices -l "
    "kubernetes.io/service-name={service} -o yaml`."
)
TARGET_PORT_FOUND = "The ready pods expose targetPort {target} of Service {service} (as port {found})."
TARGET_PORT_NOT_JUDGED = "Checked with the endpoints: nothing to add while no pod is ready."

# A LoadBalancer Service Portico manages

LOAD_BALANCER_PENDING = (
    "Service {name} is of type LoadBalancer and has no external address yet: the cluster's load-balancer "
    "controller has not provisioned one (on a cluster without one, such as kind or bare metal without MetalLB, "
    "it never will). Your Ingress still reaches the Service inside the cluster."
)
LOAD_BALANCER_PENDING_FIX = (
    "If you do not need the Service reachable outside the Ingress, set the route's service type to ClusterIP. "
    "Otherwise see why: `kubectl -n {ns} describe service {name}` (Events)."
)

# NetworkPolicies

NETPOL_NOT_READ = "Portico did not read this namespace's NetworkPolicies in this sync."
NETPOL_NO_SELECTOR = "Service {service} has no selector, so Portico cannot tell which NetworkPolicies apply."
NETPOL_NONE = "No NetworkPolicy in namespace {ns} selects your pods: nothing filters traffic to them."
NETPOL_ADMITS = "NetworkPolicy {policies} selects your pods and admits traffic from {controller}."
NETPOL_UNDECIDED = (
    "NetworkPolicy {policies} selects your pods; Portico cannot tell whether it admits {controller} (its rules "
    "name labels or addresses Portico does not know)."
)
NETPOL_UNDECIDED_FIX = (
    "Check the policy admits the ingress controller's namespace or pods on the target port: `kubectl -n {ns} get "
    "networkpolicy {first} -o yaml`."
)
NETPOL_BLOCKS = (
    "NetworkPolicy {policies} selects your pods and no ingress rule admits {controller}{on_port}: the network drops "
    "the controller's requests and it answers 502 or 504."
)
NETPOL_ON_PORT = " on port {port}"
NETPOL_BLOCKS_FIX = (
    "Add an ingress rule to {first} (`kubectl -n {ns} edit networkpolicy {first}`) that admits the controller, "
    "for example `from: [{{namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: {namespace}}}}}}}]`"
    "{ports}."
)
NETPOL_BLOCKS_FIX_OUTSIDE = (
    "Add an ingress rule to {first} (`kubectl -n {ns} edit networkpolicy {first}`) with an ipBlock for the "
    "addresses the controller connects from (its hosts or nodes){ports}."
)
NETPOL_FIX_PORTS = " with `ports: [{{port: {port}}}]`"
NETPOL_NOT_ENFORCED = (
    " The cluster's CNI ({cni}) does not enforce NetworkPolicy, so this blocks nothing today; it will once a CNI "
    "that does runs the cluster."
)
CONTROLLER_IN = "the ingress controller (Service {namespace}/{service})"
CONTROLLER_NAMESPACE_IN = "the ingress controller's namespace {namespace}"
CONTROLLER_OUTSIDE_WORDS = "the ingress controller, which runs outside the cluster"
CONTROLLER_SOMEWHERE = "any other namespace (where an ingress controller runs)"

# An existing TLS Secret (TLS mode secret)

TLS_SECRET_MISSING = (
    "TLS uses Secret {secret}, which does not exist in namespace {ns}: the ingress controller serves its default "
    "certificate for {host}, which browsers refuse."
)
TLS_SECRET_MISSING_FIX = (
    "Create it: `kubectl -n {ns} create secret tls {secret} --cert=<cert.pem> --key=<key.pem>`, or edit the route "
    "in Portico to use TLS mode cert-manager."
)
TLS_SECRET_WRONG_TYPE = (
    "TLS uses Secret {secret}, whose type is {type}, not kubernetes.io/tls: ingress controllers only take a "
    "certificate from a kubernetes.io/tls Secret, so {host} gets the default certificate, which browsers refuse."
)
TLS_SECRET_WRONG_TYPE_FIX = (
    "Re-create it as a TLS Secret: `kubectl -n {ns} delete secret {secret}` then `kubectl -n {ns} create secret "
    "tls {secret} --cert=<cert.pem> --key=<key.pem>`."
)
TLS_SECRET_FOUND = (
    "TLS uses Secret {secret} (kubernetes.io/tls), which your team provides; Portico does not issue or renew it. "
    "The reachability check shows whether it is valid for {host} and when it expires."
)
