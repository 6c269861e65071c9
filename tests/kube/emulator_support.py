"""What the emulator's tests share: an Ingress and a Certificate as Portico renders them, apply as Portico sends it."""

import json

from kubernetes.client.exceptions import ApiException

APPLY = "application/apply-patch+yaml"
INGRESSES = "/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses/{name}"


def ingress(name="cart", namespace="shop", *, host="cart.shop.example.com", labels=None, annotations=None, path="/"):
    """An Ingress as Portico renders one."""
    metadata = {"name": name, "namespace": namespace, "labels": labels or {"app.kubernetes.io/managed-by": "portico"}}
    if annotations is not None:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata,
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": path,
                                "pathType": "Prefix",
                                "backend": {"service": {"name": name, "port": {"number": 8080}}},
                            }
                        ]
                    },
                }
            ],
        },
    }


def certificate(name="cart-shop-example-com", namespace="shop", host="cart.shop.example.com"):
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/managed-by": "portico"}},
        "spec": {
            "secretName": f"{name}-tls",
            "dnsNames": [host],
            "issuerRef": {"kind": "ClusterIssuer", "name": "letsencrypt"},
        },
    }


def apply_raw(api, obj, *, manager="portico", force=True):
    """Server-side apply the way clusters/kube.py sends it: param_serialize + call_api, JSON text body."""
    meta = obj["metadata"]
    query = [("fieldManager", manager)] + ([("force", "true")] if force else [])
    method, url, headers, body, post = api.param_serialize(
        "PATCH",
        INGRESSES,
        path_params={"namespace": meta["namespace"], "name": meta["name"]},
        query_params=query,
        header_params={"Content-Type": APPLY, "Accept": "application/json"},
        body=json.dumps(obj),
        auth_settings=["BearerToken"],
    )
    response = api.call_api(method, url, headers, body, post)
    response.read()
    return response.status, json.loads(response.data)


def apply_ingress(networking, obj, *, force=True):
    """Server-side apply through the typed API, forcing the apply content type with `_content_type`."""
    data, status, _ = networking.patch_namespaced_ingress_with_http_info(
        obj["metadata"]["name"],
        obj["metadata"]["namespace"],
        obj,
        field_manager="portico",
        force=force,
        _content_type=APPLY,
    )
    return status, data


def status_of(error: ApiException) -> dict:
    return json.loads(error.body)


def managers(obj: dict) -> dict[str, dict]:
    return {entry["manager"]: entry for entry in obj["metadata"].get("managedFields", [])}
