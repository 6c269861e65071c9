"""Serializer building blocks every resource's API uses."""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from django.db import models
from rest_framework import serializers

# The mixin is only ever mixed into Serializers; the type checker sees it as one.
if TYPE_CHECKING:
    _SerializerBase = serializers.Serializer[Any]
else:
    _SerializerBase = object


class RejectUnknownFieldsMixin(_SerializerBase):
    """Answer 400 for keys the serializer does not know, so a misspelt field never passes silently.
    Read-only fields are known: a client may send back what it read."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(key for key in data if key not in self.fields)
            if unknown:
                known = ", ".join(name for name, field in self.fields.items() if not field.read_only)
                raise serializers.ValidationError(
                    {key: [f"Unknown field; the fields are: {known}."] for key in unknown}
                )
        return super().to_internal_value(data)


class LookupField(serializers.SlugRelatedField[models.Model]):
    """An object (of the model its queryset names) named by its slug. Non-text values are refused before they reach the database."""

    default_error_messages = {
        "does_not_exist": 'There is no {noun} "{value}".',
        "invalid": "Must be a name, as text.",
    }

    def __init__(self, noun: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.noun = noun or self.slug_field

    def fail(self, key: str, **kwargs: Any) -> NoReturn:
        super().fail(key, noun=self.noun, **kwargs)

    def to_internal_value(self, data: Any) -> models.Model:
        if not isinstance(data, str) or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)
