"""Clusters Portico routes traffic on, with their credentials (encrypted) and last known health."""

import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from core import crypto, kube_schemas
from core.names import is_dns1123_label, is_dns1123_subdomain

from .choices import ClusterModeChoices, OutputChoices
from .directory import cluster_folder, folder_problem
from .facts import CNI_LABELS, controller_family, controller_label, enforces_network_policy
from .kubeconfig import parse_kubeconfig


def dns_label(value: str) -> None:
    """Validator: ``value`` is a DNS-1123 label (core.names), such as a cluster or namespace name."""
    if not is_dns1123_label(value):
        raise ValidationError("Use lower-case letters, digits and '-' (a DNS label).", code="invalid")


def dns_subdomain(value: str) -> None:
    """Validator: ``value`` is a DNS-1123 subdomain (core.names), such as a Gateway or listener name."""
    if not is_dns1123_subdomain(value):
        raise ValidationError(
            "Use lower-case letters, digits, '-' and '.' (a DNS subdomain, at most 253 characters).", code="invalid"
        )


def gateway_reference_errors(output: str, name: str, namespace: str) -> dict[str, str]:
    """Field errors of a cluster's parent Gateway reference: Gateway output needs to know which Gateway
    its HTTPRoutes attach to. Shared by the model (admin) and the API serializer."""
    if output != OutputChoices.GATEWAY:
        return {}
    errors = {}
    if not name:
        errors["gateway_name"] = (
            "Gateway output needs the name of the Gateway the routes attach to (`kubectl get gateways -A`)."
        )
    if not namespace:
        errors["gateway_namespace"] = "Gateway output needs the namespace of that Gateway."
    return errors


class ClusterQuerySet(models.QuerySet):
    def kubernetes(self):
        return self.filter(mode=ClusterModeChoices.KUBERNETES)


class Cluster(models.Model):
    name = models.CharField(max_length=63, unique=True, validators=[dns_label])
    display_name = models.CharField(max_length=200, blank=True)
    mode = models.CharField(max_length=20, choices=ClusterModeChoices.choices, default=ClusterModeChoices.KUBERNETES)
    # Fernet token of a one-context, inline-only kubeconfig (see kubeconfig.py). Never rendered anywhere.
    kubeconfig_encrypted = models.TextField(blank=True, editable=False)
    context = models.CharField(max_length=200, blank=True)
    insecure_skip_tls_verify = models.BooleanField(
        default=False, help_text="Accept the API server without verifying its certificate. Visible on the cluster page."
    )
    directory = models.CharField(
        max_length=500, blank=True, help_text="For directory clusters: folder the manifests are written to."
    )
    ingress_class = models.CharField(max_length=253, default="nginx")
    default_issuer = models.CharField(max_length=253, default="letsencrypt")
    output = models.CharField(max_length=20, choices=OutputChoices.choices, default=OutputChoices.INGRESS)
    # The parent Gateway of every HTTPRoute rendered for this cluster (output "gateway"). Its listeners
    # terminate TLS, so cert-manager's Gateway support, not Portico, issues the certificates.
    gateway_name = models.CharField(
        max_length=253,
        blank=True,
        validators=[dns_subdomain],
        help_text="Gateway output: name of the Gateway the routes' HTTPRoutes attach to.",
    )
    gateway_namespace = models.CharField(
        max_length=63, blank=True, validators=[dns_label], help_text="Gateway output: namespace of that Gateway."
    )
    gateway_section_name = models.CharField(
        max_length=253,
        blank=True,
        validators=[dns_subdomain],
        help_text="Gateway output, optional: attach to this listener only (the parentRef's sectionName).",
    )

    reachable = models.BooleanField(null=True, blank=True)
    server_version = models.CharField(max_length=50, blank=True)
    ingress_class_present = models.BooleanField(null=True, blank=True)
    cert_manager_present = models.BooleanField(null=True, blank=True)
    issuer_present = models.BooleanField(null=True, blank=True)
    gateway_present = models.BooleanField(null=True, blank=True)  # Gateway output: the parent Gateway exists
    # The ingress controller behind the IngressClass: its spec.controller, read by every probe (clusters.facts
    # names the ones Portico knows). Directory clusters have no probe: a platform engineer sets it.
    ingress_controller = models.CharField(
        max_length=253,
        blank=True,
        help_text='The IngressClass\'s controller, such as "k8s.io/ingress-nginx"; it decides which route options '
        "are offered and which paths are admitted. The probe fills it in; set it by hand for directory clusters.",
    )
    # The CNI plugin recognised from kube-system's DaemonSets at the last probe; "" when none was recognised.
    cni = models.CharField(max_length=20, blank=True, editable=False)
    checked_at = models.DateTimeField(null=True, blank=True)
    health_message = models.TextField(blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # Why the last sync was refused (e.g. a permission missing); empty once a sync succeeds. Kept apart from
    # health_message, which every probe rewrites.
    sync_error = models.TextField(blank=True)
    # The output the last sync wrote; when `output` changes, the next sync removes the other output's objects.
    synced_output = models.CharField(max_length=20, blank=True, editable=False)
    # Host+paths served by Ingresses Portico does not manage, seen at the last sync: [{namespace, name, host, path}].
    foreign_ingresses = models.JSONField(default=list, blank=True)
    # Sync lease (see routes.reconcile.sync_cluster): one worker syncs a cluster at a time.
    sync_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    sync_lease_owner = models.CharField(max_length=32, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClusterQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def label(self) -> str:
        return self.display_name or self.name

    @property
    def is_directory(self) -> bool:
        return self.mode == ClusterModeChoices.DIRECTORY

    @property
    def kubernetes_minor(self) -> str:
        """Minor version for schema validation (e.g. "1.37"), defaulting to the newest known."""
        parts = self.server_version.lstrip("v").split(".")
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            return f"{parts[0]}.{parts[1]}"
        major, minor = kube_schemas.known_versions()[-1]
        return f"{major}.{minor}"

    @property
    def schema_notice(self) -> str:
        """What the last probe's server version means for Portico's schema check (core.kube_schemas): a warning for
        a cluster newer than the bundled schemas, an error for one older than them, "" otherwise."""
        if self.is_directory or not self.server_version:
            return ""
        choice = kube_schemas.choose(self.kubernetes_minor)
        return choice.warning or choice.error

    @property
    def is_gateway(self) -> bool:
        return self.output == OutputChoices.GATEWAY

    @property
    def controller_family(self) -> str:
        """The ingress controller's family (clusters.facts), "" for one Portico does not know."""
        return controller_family(self.ingress_controller)

    @property
    def controller_label(self) -> str:
        return controller_label(self.ingress_controller)

    @property
    def cni_label(self) -> str:
        return CNI_LABELS.get(self.cni, "")

    @property
    def network_policy_enforced(self) -> bool | None:
        """Whether the cluster's CNI enforces NetworkPolicy; None when the CNI is not known."""
        return enforces_network_policy(self.cni)

    @property
    def healthy(self) -> bool:
        if self.is_directory:
            return True
        if self.sync_error:
            return False
        if self.is_gateway:
            # The Gateway's listeners terminate TLS; Portico itself needs neither an IngressClass nor cert-manager.
            return bool(self.reachable and self.gateway_present)
        return bool(self.reachable and self.ingress_class_present and self.cert_manager_present and self.issuer_present)

    @property
    def health_summary(self) -> str:
        """The last probe in plain words, made from its results only: what developers read instead of
        ``health_message``, which can quote the API server's answer (docs/security.md, "What developers see").
        Empty when there is no message."""
        if not self.health_message:
            return ""
        if self.is_directory:
            return "GitOps export: there is no live health to show."
        if not self.reachable:
            return "Portico could not reach the API server at the last probe; platform engineers have the details."
        if self.is_gateway:
            problems = (
                []
                if self.gateway_present
                else [f'Gateway "{self.gateway_namespace}/{self.gateway_name}" does not exist.']
            )
        else:
            problems = [
                message
                for ok, message in (
                    (self.ingress_class_present, f'IngressClass "{self.ingress_class}" is missing.'),
                    (self.cert_manager_present, "cert-manager is not installed."),
                    (
                        self.issuer_present or not self.cert_manager_present,
                        f'ClusterIssuer "{self.default_issuer}" does not exist.',
                    ),
                )
                if not ok
            ]
        return " ".join(problems) or "All checks passed."

    @property
    def sync_summary(self) -> str:
        """``sync_error`` in plain words for developers: that the last sync was refused, not the server's answer."""
        if not self.sync_error:
            return ""
        return "The last sync was refused by the cluster; platform engineers have the details."

    def clean(self):
        super().clean()
        errors = gateway_reference_errors(self.output, self.gateway_name, self.gateway_namespace)
        if errors:
            raise ValidationError(errors)

    @property
    def has_credentials(self) -> bool:
        return bool(self.kubeconfig_encrypted)

    def set_kubeconfig(self, text: str | dict, context: str | None = None) -> None:
        """Validate (see kubeconfig.py), reduce to one context and store encrypted. Raises KubeconfigError."""
        parsed = parse_kubeconfig(text, context or self.context or None, allow_insecure=self.insecure_skip_tls_verify)
        self.context = parsed.context
        self.kubeconfig_encrypted = crypto.encrypt(json.dumps(parsed.config))

    def get_kubeconfig(self) -> dict:
        return json.loads(crypto.decrypt(self.kubeconfig_encrypted))

    def directory_path(self) -> Path:
        """The folder a directory cluster writes to, under PORTICO_DIRECTORY_ROOT. Raises FolderError for a folder
        stored before the rule that leads elsewhere (clusters/directory.py)."""
        return cluster_folder(self.directory, self.name, settings.PORTICO_DIRECTORY_ROOT)

    def folder_problem(self) -> str | None:
        """Why this directory cluster may not write to its folder (outside the root, or another cluster's), or None."""
        # A cluster of the same name is this one (or, for a new cluster, a name clash reported on its own).
        others = {
            name: (directory, name)
            for name, directory in Cluster.objects.filter(mode=ClusterModeChoices.DIRECTORY)
            .exclude(pk=self.pk)
            .exclude(name=self.name)
            .values_list("name", "directory")
        }
        return folder_problem(self.directory, self.name, settings.PORTICO_DIRECTORY_ROOT, others)
