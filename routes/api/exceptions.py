"""API errors beyond DRF's own."""
from rest_framework import exceptions, status


class Conflict(exceptions.APIException):
    """409: the request is valid but clashes with existing state; the body names what it clashes with."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"
