"""API errors beyond DRF's own, and their documented shapes."""

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import exceptions, serializers, status


class Conflict(exceptions.APIException):
    """409: the request is valid but clashes with existing state; the body names what it clashes with."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class ErrorSerializer(serializers.Serializer[Any]):
    """401, 403 and 404: one sentence saying what went wrong."""

    detail = serializers.CharField()


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Field errors",
            value={
                "backend": {"service_port": ["Service port 70000 is not valid: it must be between 1 and 65535."]},
                "team": ['No team "blog" among your teams; you can request routes only for teams you belong to.'],
            },
            response_only=True,
            status_codes=["400"],
        ),
        OpenApiExample(
            "Conflict",
            value={
                "host": [
                    (
                        'Host "cart.shop.example.com" is claimed by team "shop"; only that team can add routes '
                        "there. Ask them to add your path, or ask a platform engineer to release the claim."
                    )
                ]
            },
            response_only=True,
            status_codes=["409"],
        ),
    ]
)
class FieldErrorsSerializer(serializers.Serializer[Any]):
    """400 and 409: a list of messages per field name (an object for nested fields such as ``backend`` and
    ``tls``), ``non_field_errors`` for the request as a whole, or ``detail`` when the body could not be read."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)
    detail = serializers.CharField(required=False)
