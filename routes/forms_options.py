"""The route options part of the route form (docs/route-options.md): the fields, their parsing into a
``RouteOptions``, and what each of the developer's clusters can honour, for the explanations beside the fields.

Parsing only: whether a value is allowed, within the team's limits and honoured by the cluster's controller is
``routes.domain.policy.options``'s to judge, through ``checks.check_request`` like every other rule.
"""

from django import forms

from clusters.models import Cluster

from .domain.policy.options import OPTION_LABELS, OPTION_NAMES, supported_options, why_unsupported
from .domain.values import RouteOptions

OPTION_VIOLATION_FIELDS = {f"options.{name}": name for name in OPTION_NAMES}


class RouteOptionsFields(forms.Form):
    """The option fields RouteForm inherits."""

    force_https = forms.BooleanField(
        required=False,
        label="Force HTTPS",
        help_text="Answer plain HTTP requests with a redirect to HTTPS, so no page or cookie travels unencrypted.",
    )
    timeout_seconds = forms.IntegerField(
        required=False,
        label="Request timeout (seconds)",
        help_text="How long your Service may take to answer before the controller gives up (504). Empty: the "
        "controller's default, usually 60 seconds.",
    )
    max_body_size_mb = forms.IntegerField(
        required=False,
        label="Maximum body size (MiB)",
        help_text="The largest upload the controller forwards (larger ones get 413). Empty: the controller's default "
        "(1 MiB on ingress-nginx; no limit on Traefik).",
    )
    source_ranges = forms.CharField(
        required=False,
        max_length=2000,
        label="Allowed source ranges",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text='Only clients from these address ranges are served (others get 403), such as "203.0.113.0/24, '
        "10.0.0.0/8\". Empty: everyone. The controller must see the real client address (not a load balancer's).",
    )

    def clean_source_ranges(self) -> tuple[str, ...]:
        text = self.cleaned_data["source_ranges"] or ""
        return tuple(part for part in text.replace(",", " ").split() if part)

    def options_spec(self) -> RouteOptions:
        data = self.cleaned_data
        return RouteOptions(
            force_https=bool(data.get("force_https")),
            timeout_seconds=data.get("timeout_seconds"),
            max_body_size_mb=data.get("max_body_size_mb"),
            source_ranges=data.get("source_ranges") or (),
        )

    def option_support(self) -> list[dict]:
        """For each cluster on the form: what renders the options, and which it can honour or why not."""
        clusters = getattr(self.fields.get("cluster"), "queryset", None)
        rows = []
        for cluster in clusters if clusters is not None else Cluster.objects.none():
            supported = supported_options(cluster.output, cluster.controller_family)
            rows.append(
                {
                    "cluster": cluster,
                    "renderer": _renderer(cluster),
                    "options": [
                        {
                            "label": OPTION_LABELS[name],
                            "supported": name in supported,
                            "why_not": ""
                            if name in supported
                            else why_unsupported(name, cluster.output, cluster.controller_family),
                        }
                        for name in OPTION_NAMES
                    ],
                }
            )
        return rows


def options_initial(options: RouteOptions) -> dict:
    return {
        "force_https": options.force_https,
        "timeout_seconds": options.timeout_seconds,
        "max_body_size_mb": options.max_body_size_mb,
        "source_ranges": ", ".join(options.source_ranges),
    }


def _renderer(cluster: Cluster) -> str:
    if cluster.is_gateway:
        return "Gateway API (HTTPRoute fields)"
    if cluster.controller_family:
        return f"{cluster.controller_label} (its own annotations)"
    if cluster.ingress_controller:
        return f"{cluster.ingress_controller}: a controller Portico renders no options for"
    return "an ingress controller not known yet (the next probe reads it)"
