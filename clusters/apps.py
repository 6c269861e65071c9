from django.apps import AppConfig


class ClustersConfig(AppConfig):
    name = "clusters"

    def ready(self) -> None:
        from core.metrics import state_registry

        from .metrics import ClusterStateCollector

        state_registry.register(ClusterStateCollector())
