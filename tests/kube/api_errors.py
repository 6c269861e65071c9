"""The API server's failures: a v1 Status body with its HTTP code, reason, message and details."""

from tests.kube.resources import ResourceType


class ApiError(Exception):
    """A failure the API server reports as a v1 Status body with an HTTP status code."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict:
        body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body

    @classmethod
    def bad_request(cls, message: str) -> "ApiError":
        return cls(400, "BadRequest", message)

    @classmethod
    def not_found(cls, rtype: ResourceType, name: str) -> "ApiError":
        return cls(404, "NotFound", f'{rtype.group_resource} "{name}" not found', _details(rtype, name))

    @classmethod
    def no_such_resource(cls) -> "ApiError":
        return cls(404, "NotFound", "the server could not find the requested resource", {})

    @classmethod
    def already_exists(cls, rtype: ResourceType, name: str) -> "ApiError":
        return cls(409, "AlreadyExists", f'{rtype.group_resource} "{name}" already exists', _details(rtype, name))

    @classmethod
    def conflict(cls, rtype: ResourceType, name: str, why: str, causes: list | None = None) -> "ApiError":
        details = _details(rtype, name)
        if causes:
            details["causes"] = causes
        return cls(409, "Conflict", f'Operation cannot be fulfilled on {rtype.group_resource} "{name}": {why}', details)

    @classmethod
    def modified(cls, rtype: ResourceType, name: str) -> "ApiError":
        """409 for a write based on a stale resourceVersion."""
        return cls.conflict(
            rtype, name, "the object has been modified; please apply your changes to the latest version and try again"
        )

    @classmethod
    def invalid(cls, rtype: ResourceType, name: str, causes: list[tuple[str, str]]) -> "ApiError":
        """422 Invalid; `causes` are (field, problem) pairs such as ("metadata.name", 'Invalid value: "x": ...')."""
        rendered = [f"{field}: {problem}" for field, problem in causes]
        summary = rendered[0] if len(rendered) == 1 else f"[{', '.join(rendered)}]"
        details = {
            "name": name,
            "group": rtype.group,
            "kind": rtype.kind,
            "causes": [
                {"reason": _cause_reason(problem), "message": problem, "field": field} for field, problem in causes
            ],
        }
        if not rtype.group:
            del details["group"]
        return cls(422, "Invalid", f'{rtype.qualified_kind} "{name}" is invalid: {summary}', details)


def _details(rtype: ResourceType, name: str) -> dict:
    details = {"name": name, "group": rtype.group, "kind": rtype.plural}
    if not rtype.group:
        del details["group"]
    return details


def _cause_reason(problem: str) -> str:
    for prefix, reason in (
        ("Required value", "FieldValueRequired"),
        ("Forbidden", "FieldValueForbidden"),
        ("Too long", "FieldValueTooLong"),
        ("Unsupported value", "FieldValueNotSupported"),
    ):
        if problem.startswith(prefix):
            return reason
    return "FieldValueInvalid"
