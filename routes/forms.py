"""The route request form: turns what a developer typed into a RouteSpec and asks routes.checks to judge it.

The form only parses (ports, selector labels, which backend fields apply). Every rule, from the host's
syntax to conflicts with other teams, comes from ``checks.check_request``: the same function the API
and the worker use, so the page and the API never disagree about a route.
"""

from typing import cast

from django import forms

from clusters.models import Cluster
from core.names import normalize_host
from teams.access import teams_of
from teams.models import Team, TeamNamespace

from . import checks
from .choices import PathTypeChoices, ServiceTypeChoices, TLSModeChoices
from .domain.decimals import parse_decimal
from .domain.values import (
    BACKEND_EXISTING,
    BACKEND_EXTERNAL,
    BACKEND_MANAGED,
    CONFLICT,
    TLS,
    Backend,
    RouteSpec,
    Violation,
)
from .forms_options import OPTION_VIOLATION_FIELDS, RouteOptionsFields, options_initial
from .models import HostClaim, Route

BACKEND_KINDS = [
    (BACKEND_EXISTING, "An existing Service in the namespace"),
    (BACKEND_MANAGED, "A Service that Portico creates for your pods"),
    (BACKEND_EXTERNAL, "A host outside the cluster (ExternalName)"),
]

# Violations name the API's dotted fields ("backend.service_port"); the form lays the same fields out flat.
VIOLATION_FIELDS = {
    "team": "team",
    "cluster": "cluster",
    "namespace": "namespace",
    "name": "name",
    "host": "host",
    "path": "path",
    "path_type": "path_type",
    "backend.service_name": "service_name",
    "backend.service_port": "service_port",
    "backend.target_port": "target_port",
    "backend.selector": "selector",
    "backend.service_type": "service_type",
    "backend.external_name": "external_name",
    "tls.mode": "tls_mode",
    "tls.issuer": "issuer",
    "tls.secret_name": "secret_name",
    **OPTION_VIOLATION_FIELDS,
}

# Fields that a route keeps for life: an edit makes a new revision of the spec, never a move.
PLACEMENT_FIELDS = ("team", "cluster", "namespace", "name")


class RouteForm(RouteOptionsFields):
    """Request a new route, or a new revision of ``route``, on behalf of ``user``."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        to_field_name="slug",
        empty_label=None,
        help_text="The team that owns the route; its policy applies.",
    )
    cluster = forms.ModelChoiceField(queryset=Cluster.objects.none(), to_field_name="name", empty_label=None)
    namespace = forms.ChoiceField(help_text="Only namespaces your teams may route into on that cluster are listed.")
    name = forms.CharField(
        required=False,
        max_length=200,
        help_text='Names the Ingress: lower-case letters, digits and "-", such as "cart".',
    )
    host = forms.CharField(
        required=False,
        max_length=300,
        label="Host",
        help_text="The DNS name clients use, under one of your team's domains.",
    )
    path = forms.CharField(required=False, max_length=1100, initial="/", help_text='"/" serves the whole host.')
    path_type = forms.ChoiceField(
        choices=PathTypeChoices.choices,
        initial=PathTypeChoices.PREFIX,
        widget=forms.RadioSelect,
        label="Path matching",
    )
    backend_kind = forms.ChoiceField(
        choices=BACKEND_KINDS,
        initial=BACKEND_EXISTING,
        widget=forms.RadioSelect,
        label="Send traffic to",
        help_text="Traffic always goes to a Service, never to pod IPs: pods get new IPs whenever they restart.",
    )
    service_name = forms.CharField(
        required=False,
        max_length=200,
        label="Service name",
        help_text="The Service in the route's namespace that receives the traffic.",
    )
    service_port = forms.CharField(
        required=False,
        max_length=20,
        label="Service port",
        help_text='The Service\'s port: a number, or a port name such as "http" for an existing Service.',
    )
    target_port = forms.CharField(
        required=False,
        max_length=20,
        label="Target port",
        help_text="The port your pods listen on (a number or a container port name).",
    )
    selector = forms.CharField(
        required=False,
        max_length=1000,
        label="Pod selector",
        help_text='Labels of the pods that receive the traffic, such as "app=cart" (several: "app=cart, tier=web").',
    )
    service_type = forms.ChoiceField(
        choices=ServiceTypeChoices.choices,
        initial=ServiceTypeChoices.CLUSTER_IP,
        required=False,
        widget=forms.RadioSelect,
        label="Service type",
        help_text="ClusterIP is almost always right: the Ingress already exposes the route, with TLS.",
    )
    external_name = forms.CharField(
        required=False,
        max_length=300,
        label="External host",
        help_text='The DNS name outside the cluster, such as "api.partner.example.com"; the Service becomes a '
        "DNS alias (type ExternalName) for it.",
    )
    tls_mode = forms.ChoiceField(
        choices=TLSModeChoices.choices,
        initial=TLSModeChoices.CERT_MANAGER,
        widget=forms.RadioSelect,
        label="TLS",
    )
    issuer = forms.CharField(
        required=False,
        max_length=300,
        label="ClusterIssuer",
        help_text="Leave empty for the cluster's default issuer.",
    )
    secret_name = forms.CharField(
        required=False,
        max_length=300,
        label="TLS Secret",
        help_text="An existing Secret of type kubernetes.io/tls in the route's namespace.",
    )

    def __init__(self, *args, user, route: Route | None = None, **kwargs):
        self.user = user
        self.route = route
        self.violations: list[Violation] = []
        self.checked_spec: RouteSpec | None = None
        self._placement: dict | None = None
        if route is not None:
            kwargs.setdefault("initial", initial_for(route))
        super().__init__(*args, **kwargs)
        teams = teams_of(user).prefetch_related("namespaces__cluster")
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = teams
        cast(forms.ModelChoiceField, self.fields["cluster"]).queryset = Cluster.objects.filter(
            team_namespaces__team__in=teams
        ).distinct()
        cast(forms.ChoiceField, self.fields["namespace"]).choices = _namespace_choices(teams)
        if route is not None:
            for name in PLACEMENT_FIELDS:
                self.fields[name].disabled = True
        for name, field in self.fields.items():
            # The error container is always on the page (inline validation fills it), so point at it always.
            described = [f"id_{name}_helptext"] if field.help_text else []
            field.widget.attrs.setdefault("aria-describedby", " ".join([*described, f"id_{name}_error"]))
            if isinstance(field.widget, forms.TextInput):
                field.widget.attrs.update(autocomplete="off", spellcheck="false", autocapitalize="none")
        self.fields["host"].widget.attrs["placeholder"] = "cart.shop.example.com"
        self.fields["selector"].widget.attrs["placeholder"] = "app=cart"
        # Suggestions the cluster reports (routes/htmx/_cluster_offers.html); typing any value still works.
        self.fields["service_name"].widget.attrs["list"] = "service-options"
        self.fields["service_port"].widget.attrs["list"] = "service-port-options"
        self.fields["issuer"].widget.attrs["list"] = "issuer-options"

    # Parsing

    def clean_service_port(self):
        return _port(self.cleaned_data["service_port"])

    def clean_target_port(self):
        return _port(self.cleaned_data["target_port"])

    def clean_selector(self):
        text = self.cleaned_data["selector"].strip()
        if not text:
            return None
        labels = {}
        for part in text.replace("\n", ",").split(","):
            key, sep, value = part.strip().partition("=")
            if not part.strip():
                continue
            if not sep or not key.strip():
                raise forms.ValidationError(
                    f'Write the selector as labels "key=value", separated by commas; "{part.strip()}" has no "=".'
                )
            labels[key.strip()] = value.strip()
        return labels or None

    def clean(self):
        data = super().clean() or self.cleaned_data
        if data.get("backend_kind") == BACKEND_EXTERNAL and not (data.get("external_name") or "").strip():
            self.add_error("external_name", 'Enter the host outside the cluster, such as "api.partner.example.com".')
        return data

    def placement(self) -> dict:
        """Team, cluster, namespace and name, as services.submit_route takes them (valid forms only)."""
        if self._placement is None:
            if self.route is not None:
                route = self.route
                self._placement = {
                    "team": route.team,
                    "cluster": route.cluster,
                    "namespace": route.namespace,
                    "name": route.name,
                }
            else:
                # Kept aside: adding a violation's error later drops that field from cleaned_data.
                self._placement = {name: self.cleaned_data[name] for name in PLACEMENT_FIELDS}
        return self._placement

    def spec(self) -> RouteSpec:
        """The RouteSpec the developer asked for; only the fields of the chosen backend and TLS mode count."""
        data = self.cleaned_data
        kind = data["backend_kind"]
        common = {"service_name": data["service_name"].strip() or None, "service_port": data["service_port"]}
        if kind == BACKEND_MANAGED:
            backend = Backend(
                **common,
                target_port=data["target_port"],
                selector=data["selector"],
                service_type=data["service_type"] or ServiceTypeChoices.CLUSTER_IP.value,
            )
        elif kind == BACKEND_EXTERNAL:
            backend = Backend(**common, external_name=data["external_name"].strip())
        else:
            backend = Backend(**common)
        mode = data["tls_mode"]
        tls = TLS(
            mode=mode,
            issuer=(data["issuer"].strip() or None) if mode == TLSModeChoices.CERT_MANAGER else None,
            secret_name=(data["secret_name"].strip() or None) if mode == TLSModeChoices.SECRET else None,
        )
        return RouteSpec(
            host=data["host"],
            path=data["path"].strip(),
            path_type=data["path_type"],
            backend=backend,
            tls=tls,
            options=self.options_spec(),
        )

    # Judging

    def check(self) -> bool:
        """Parse, then judge the request with checks.check_request; True when it may be submitted.

        Violations become errors on the fields they name, with the same messages the API gives.
        """
        if not self.is_valid():
            return False
        self.checked_spec = self.spec()
        self.placement()
        self.violations = checks.check_request(
            user=self.user, **self.placement(), spec=self.checked_spec, route=self.route
        )
        self.add_violations(self.violations)
        return not self.violations

    def valid_spec(self) -> RouteSpec:
        """The spec ``check()`` parsed; only after it did."""
        if self.checked_spec is None:
            raise ValueError("RouteForm.check() has not parsed a spec yet.")
        return self.checked_spec

    def add_violations(self, violations: list[Violation]) -> None:
        for violation in violations:
            field = VIOLATION_FIELDS.get(violation.field)
            if field in self.fields and not self.fields[field].disabled:
                self.add_error(field, violation.message)
            else:
                # Violations on fields the form does not show (or cannot change) still need to be seen.
                self.add_error(None, violation.message)

    def renderable(self) -> bool:
        """The request is well-formed enough to render manifests: conflicts do not change what renders."""
        return self.checked_spec is not None and all(v.code == CONFLICT for v in self.violations)

    def typed_errors(self) -> dict[str, list[str]]:
        """Errors to show while the developer types: only for fields that hold something, so a half-filled
        form is not covered in "required" messages before its first submit."""
        shown = {}
        for name, field in self.fields.items():
            value = self.data.get(name, "") if not field.disabled else "x"
            shown[name] = [str(error) for error in self.errors.get(name, [])] if str(value).strip() else []
        return shown

    def selected_team(self) -> Team | None:
        """The team whose policy applies to what is on screen."""
        if self.route is not None:
            return self.route.team
        slug = self.data.get("team") if self.is_bound else None
        teams = list(cast(forms.ModelChoiceField, self.fields["team"]).queryset or [])
        return next((t for t in teams if t.slug == slug), teams[0] if teams else None)

    def host_status(self) -> dict | None:
        """Who holds the typed host, for the availability panel; None until the host itself is valid."""
        if self.checked_spec is None:
            return None
        host = normalize_host(self.checked_spec.host)
        problems = [v for v in self.violations if v.field == "host"]
        conflicts = [v.message for v in problems if v.code == CONFLICT]
        if conflicts:
            return {"state": "taken", "host": host, "message": conflicts[0]}
        if problems:
            return None  # not a usable host for this team: the field's own error says why
        team = self.placement()["team"]
        claim = HostClaim.objects.filter(host=host).select_related("team").first()
        if claim is None:
            return {
                "state": "free",
                "host": host,
                "message": f'No team has claimed this host yet; approving this route claims it for team "{team.slug}".',
            }
        return {
            "state": "yours",
            "host": host,
            "message": f'Team "{claim.team.slug}" already owns this host, so you can add paths under it.',
        }


def initial_for(route: Route) -> dict:
    """The form's values for the route's latest revision."""
    spec = route.latest_spec
    backend = spec.backend
    return {
        "team": route.team.slug,
        "cluster": route.cluster.name,
        "namespace": route.namespace,
        "name": route.name,
        "host": spec.host,
        "path": spec.path,
        "path_type": spec.path_type,
        "backend_kind": backend.kind,
        "service_name": backend.service_name or "",
        "service_port": _text(backend.service_port),
        "target_port": _text(backend.target_port),
        "selector": ", ".join(f"{k}={v}" for k, v in (backend.selector or {}).items()),
        "service_type": backend.service_type or ServiceTypeChoices.CLUSTER_IP.value,
        "external_name": backend.external_name or "",
        "tls_mode": spec.tls.mode,
        "issuer": spec.tls.issuer or "",
        "secret_name": spec.tls.secret_name or "",
        **options_initial(spec.options),
    }


def _namespace_choices(teams) -> list:
    """Allowed namespaces grouped by cluster (the page's script shows only the chosen cluster's group)."""
    grouped: dict[str, list[str]] = {}
    for team_ns in (
        TeamNamespace.objects.filter(team__in=teams).select_related("cluster").order_by("cluster__name", "namespace")
    ):
        names = grouped.setdefault(team_ns.cluster.name, [])
        if team_ns.namespace not in names:
            names.append(team_ns.namespace)
    return [(cluster, [(ns, ns) for ns in names]) for cluster, names in grouped.items()]


def _port(text: str) -> int | str | None:
    """A port as typed: ASCII digits become a number (as the API sends it), anything else stays text for policy
    to judge as a port name ("²" and "١٢" are refused there, with a message, instead of failing or becoming 12)."""
    text = (text or "").strip()
    if not text:
        return None
    number = parse_decimal(text)
    return text if number is None else number


def _text(value) -> str:
    return "" if value is None else str(value)
