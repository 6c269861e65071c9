"""OpenAPI details shared by every endpoint: the error responses each operation can give."""

from collections.abc import Callable
from typing import Any, cast

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import Direction

from .errors import ErrorSerializer, FieldErrorsSerializer

_ERROR_DESCRIPTIONS = {
    "400": "Invalid request: messages per field (nested for backend and tls), or a parse error under detail.",
    "401": "No credentials, or a token that does not exist (revoked).",
    "403": "Signed in, but not allowed to do this; detail says why.",
    "404": "No such object among those you can see (another team's objects answer 404 too).",
    "409": "Conflicts with existing state, e.g. a host claimed by another team or a duplicate route; "
    "messages per field name what conflicts.",
    "413": "The body is larger than the server's limit (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB by default); "
    "detail gives the limit. Nothing was read or saved.",
}


class PorticoAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus the error responses of each operation, unless a view documents its own."""

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                serializer = FieldErrorsSerializer if code in ("400", "409") else ErrorSerializer
                responses[code] = {
                    **_response_for_code(self)(serializer, code, media_types=["application/json"]),
                    "description": _ERROR_DESCRIPTIONS[code],
                }
        return responses

    def _error_codes(self) -> list[str]:
        codes = ["401", "403", "404"]
        if self.method != "DELETE":
            codes.append("400")
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes.append("409")
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("413")
        return sorted(codes)


def _response_for_code(schema: AutoSchema) -> Callable[..., dict[str, Any]]:
    # drf-spectacular leaves this method unannotated; it returns the response object of one status code.
    return cast("Callable[..., dict[str, Any]]", schema._get_response_for_code)
