"""The words of the Gateway API chain (``routes.domain.diagnostics.gateway``): the Gateway, the HTTPRoute and its
references, the meaning of the reasons controllers report, and TLS at the Gateway's listener. The step titles and
the sentences both chains share are in ``texts``.
"""

from __future__ import annotations

# Gateway (Gateway API output)

GATEWAY_UNNAMED = "<gateway>"
GATEWAY_MISSING = (
    "Gateway {ref}, which this cluster's HTTPRoutes attach to, does not exist: nothing serves your "
    "HTTPRoute, and no traffic reaches your Service."
)
GATEWAY_MISSING_FIX = (
    "A platform engineer should create the Gateway (with a GatewayClass whose controller is installed: "
    "`kubectl get gatewayclass`), or set the cluster's Gateway in Portico to one listed by "
    "`kubectl get gateways -A`."
)
GATEWAY_NOT_CHECKED = "Portico has not checked this cluster's Gateway yet."
GATEWAY_NOT_PROGRAMMED = (
    "Gateway {ref} exists, but its controller has not programmed it ({reason}): {message}. Until it is, "
    "the Gateway serves no traffic."
)
GATEWAY_NOT_PROGRAMMED_FIX = (
    "A platform engineer should look at `kubectl describe gateway {arg}` (Events and listener "
    "status) and at the Gateway controller's logs."
)
GATEWAY_ADDRESS_PENDING = (
    "Gateway {ref} exists, but its controller has not published an address for it yet, so DNS for your "
    "host has nothing to point at. This usually takes a few seconds to a minute."
)
GATEWAY_ADDRESS_PENDING_FIX = (
    "If it stays without an address, check the Gateway's status: `kubectl describe gateway "
    "{arg}`, and that its GatewayClass has a running controller (`kubectl get gatewayclass`)."
)
GATEWAY_SERVED = "Gateway {ref} is served at {address}. Point the DNS record for {host} at this address."

# HTTPRoute and its references (Gateway API output)

HTTP_ROUTE_DESCRIBE = "`kubectl -n {ns} describe httproute {name}`"
HTTP_ROUTE_NOT_REPORTED = (
    "HTTPRoute {ns}/{name} exists, but Gateway {ref}'s controller has not reported on it yet "
    "(no Accepted condition for this Gateway in its status). This usually takes seconds."
)
HTTP_ROUTE_NOT_REPORTED_FIX = (
    "If it stays like this, check that Gateway {ref} exists and has a running controller, then {describe}."
)
HTTP_ROUTE_REFUSED_FALLBACK = "Gateway {ref} did not accept the HTTPRoute ({reason})"
HTTP_ROUTE_REFUSED = "Gateway {ref} did not accept your HTTPRoute ({reason}): {detail}."
HTTP_ROUTE_ACCEPTED = "Gateway {ref} accepted HTTPRoute {ns}/{name}: it serves {host}{path}."
REFS_NO_ROUTE = "There is no HTTPRoute whose references could be checked."
REFS_NOT_REPORTED = "The Gateway's controller has not reported on the HTTPRoute's references yet."
REFS_UNRESOLVED_FALLBACK = "the Gateway could not resolve a reference of the HTTPRoute"
REFS_UNRESOLVED = "The Gateway could not resolve your HTTPRoute's references ({reason}): {detail}."
REFS_RESOLVED = "The Gateway resolved the HTTPRoute's backend, Service {service}."
REASON_FALLBACK_FIX = "Read the message, then `kubectl -n {ns} describe httproute {name}`."
GATEWAY_SAYS = " (the Gateway says: {message})"

# Plain-language meaning and fix of the reasons Gateway API controllers set on an HTTPRoute's parent status
# (GEP-1364 route conditions). Each value: (what it means, how to fix); {host}, {ns}, {gateway}, {service}
# and {listener} are filled in.
ACCEPTED_REASONS = {
    "NotAllowedByListeners": (
        (
            "none of Gateway {gateway}'s listeners allows routes from namespace {ns} (their allowedRoutes), so the "
            "Gateway ignores your HTTPRoute and serves nothing for {host}"
        ),
        (
            "A platform engineer should allow namespace {ns} on the listener (`allowedRoutes.namespaces.from: All`, "
            "or a Selector matching the namespace's labels): `kubectl get gateway {gateway_arg} -o yaml`."
        ),
    ),
    "NoMatchingListenerHostname": (
        "no listener of Gateway {gateway} has a hostname matching {host}, so the Gateway does not serve it",
        (
            "A platform engineer should add a listener for {host} (or a wildcard covering it) to Gateway {gateway}, "
            "or move the route to a host the Gateway's listeners cover (`kubectl get gateway {gateway_arg} -o yaml`)."
        ),
    ),
    "NoMatchingParent": (
        "Gateway {gateway} has no listener named {listener} (or on the port) the HTTPRoute's parentRef asks for",
        (
            "A platform engineer should fix the cluster's Gateway listener (sectionName) in Portico to one of the "
            "listeners in `kubectl get gateway {gateway_arg} -o yaml`."
        ),
    ),
    "UnsupportedValue": (
        "the Gateway's controller does not support a value in the HTTPRoute",
        "Read the controller's message below and change the route in Portico accordingly.",
    ),
}
RESOLVED_REFS_REASONS = {
    "BackendNotFound": (
        (
            "Service {service}, the HTTPRoute's backend, does not exist in namespace {ns}, so the Gateway answers 500 "
            "for {host}"
        ),
        (
            "Create the Service, or change the route's service name in Portico to an existing one "
            "(`kubectl -n {ns} get services`)."
        ),
    ),
    "RefNotPermitted": (
        "the HTTPRoute refers to a backend in another namespace, and no ReferenceGrant there allows it",
        (
            "Create a ReferenceGrant in the backend's namespace allowing HTTPRoutes from namespace {ns}, or use a "
            "Service in namespace {ns}."
        ),
    ),
    "InvalidKind": (
        "the HTTPRoute refers to a backend of a kind the Gateway's controller does not support",
        "Point the route at a Service.",
    ),
    "UnsupportedProtocol": (
        "the Gateway cannot speak the protocol (appProtocol) of Service {service}'s port",
        "Check the port's appProtocol: `kubectl -n {ns} get service {service} -o yaml`.",
    ),
}

# TLS at the Gateway's listener (Gateway API output)

GATEWAY_TLS_OFF = (
    "TLS is off for this route: traffic to {host} is plain HTTP, readable and changeable by anyone on the "
    "network path (on this cluster the Gateway's listeners decide whether HTTPS is offered at all)."
)
GATEWAY_TLS_NOT_OBSERVED = "TLS is terminated by the listener of Gateway {ref}; {directory}."
GATEWAY_TLS_TERMINATED = (
    "TLS for {host} is terminated by the HTTPS listener of Gateway {ref}, not by the route: an HTTPRoute "
    "carries no certificate, and Portico creates none for it."
)
GATEWAY_TLS_SECRET_UNUSED = " The route's own Secret is not used on this cluster; the listener's certificateRefs are."
GATEWAY_TLS_UNREAD = "{terminated} Portico could not read the Gateway to check its listeners."
GATEWAY_DESCRIBE = "`kubectl get gateway {arg} -o yaml`"
GATEWAY_TLS_NO_LISTENER = (
    "{terminated} Gateway {ref} has no HTTPS listener for {host}, so HTTPS to your host does not work."
)
GATEWAY_TLS_NO_LISTENER_FIX = (
    "A platform engineer should add an HTTPS listener for {host} (or a wildcard covering it) with a "
    "certificate to the Gateway ({describe}); with cert-manager, annotate the Gateway with "
    "`cert-manager.io/cluster-issuer` so cert-manager issues the listener's certificate."
)
GATEWAY_LISTENER = "Listener {listener} of Gateway {ref}"
NO_SECRET_NAMED = "(none named)"
GATEWAY_TLS_BAD_SECRET = "{terminated} {where} cannot use its certificate Secret {secrets} ({reason}): {outcome}"
GATEWAY_TLS_ISSUING = "cert-manager is probably still issuing it."
GATEWAY_TLS_BROKEN = "HTTPS to your host does not work."
GATEWAY_TLS_BAD_SECRET_FIX = "Look at the Secret and the listener's status ({describe}){more}"
GATEWAY_TLS_ISSUING_FIX = " and at cert-manager: `kubectl -n {ns} get certificates`."
GATEWAY_TLS_BROKEN_FIX = "; a platform engineer should provide a valid TLS Secret for the listener."
GATEWAY_TLS_NOT_ISSUED = (
    "{terminated} {where} serves {host} with Secret {secrets}, but the Gateway has no "
    "cert-manager.io/cluster-issuer annotation, so cert-manager does not issue or renew that certificate."
)
GATEWAY_TLS_NOT_ISSUED_FIX = (
    "Ask a platform engineer to annotate the Gateway for cert-manager's Gateway support, or to keep that "
    "Secret valid for your host."
)
GATEWAY_TLS_ISSUED_BY = " cert-manager issues it from the Gateway's annotation ({issuer})."
GATEWAY_TLS_SERVED = "{terminated} {where} serves {host} with Secret {secrets}.{issued}"
