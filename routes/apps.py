from django.apps import AppConfig


class RoutesConfig(AppConfig):
    name = "routes"

    def ready(self) -> None:
        from core.metrics import state_registry

        from . import receivers  # noqa: F401  (connects the receivers of team events)
        from .metrics import RouteStateCollector

        state_registry.register(RouteStateCollector())
