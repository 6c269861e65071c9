from core.choices import ColoredChoices


class ClusterModeChoices(ColoredChoices):
    KUBERNETES = "kubernetes", "Kubernetes API"
    DIRECTORY = "directory", "Directory (GitOps export)"


class OutputChoices(ColoredChoices):
    INGRESS = "ingress", "Ingress"
    GATEWAY = "gateway", "Gateway API (HTTPRoute)"
