"""How the API writes manifests: JSON, or multi-document YAML (bodies are read by core.api.parsers)."""

from rest_framework import renderers

from routes.domain.render import to_yaml


class ManifestYAMLRenderer(renderers.BaseRenderer):
    """Kubernetes objects as multi-document YAML, exactly as ``routes.domain.render.to_yaml`` writes them."""

    media_type = "application/yaml"
    format = "yaml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return to_yaml(data).encode(self.charset)
