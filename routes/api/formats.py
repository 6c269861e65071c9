"""How the API reads request bodies and writes manifests: JSON in, JSON or multi-document YAML out."""
from django.conf import settings
from rest_framework import exceptions, parsers, renderers

from routes.render import to_yaml


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 (not 500) for nesting too deep to decode and 413 for oversized bodies."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        # DRF reads the stream itself, past Django's own body size check, so the limit is applied here.
        if limit is not None and length and length.isdigit() and int(length) > limit:
            raise PayloadTooLarge()
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the document is nested too deeply.") from None
        if not _is_unicode(data):
            # JSON may escape half a UTF-16 pair ("\ud800"); such text cannot be stored, logged or sent back.
            raise exceptions.ParseError("JSON parse error - the document contains a lone surrogate (invalid Unicode).")
        return data


def _is_unicode(data) -> bool:
    """True when every string in a parsed JSON document, keys included, can be encoded as UTF-8."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


class ManifestYAMLRenderer(renderers.BaseRenderer):
    """Kubernetes objects as multi-document YAML, exactly as ``routes.render.to_yaml`` writes them."""

    media_type = "application/yaml"
    format = "yaml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return to_yaml(data).encode(self.charset)
