"""A lean read path for DRF serializers: the same JSON as ``Serializer.to_representation``, at a fraction of its
cost (docs/architecture.md, "Pages and API under load").

DRF builds a serializer's fields by deep-copying them for every serializer instance, and reads each field of
each object through ``Field.get_attribute`` and its checks. For a page of 50 routes, each with a dozen nested
objects, that bookkeeping costs more than the database. ``LeanRepresentation`` walks a serializer's fields once
per class into a plan that does what DRF does for each object, field by field:

- an attribute is read along the field's source (``a.b``; ``*`` is the object itself), from a mapping by key
  and from anything else by attribute; ``ObjectDoesNotExist`` on the way reads as None;
- a missing attribute gives the field's default, else None when the field allows null, else the field is left
  out when it is not required;
- None is shown as None, anything else through the field's own ``to_representation``; nested serializers
  (one object or ``many=True``) are compiled the same way.

Anything this does not cover takes DRF's own path, for that object only, so the answer is always DRF's: a value
that is callable (DRF would call it), a required field that is missing (DRF raises), a nested serializer that
overrides ``to_representation``, and fields whose output depends on the request (hyperlinks).
tests/api/test_lean_representation.py checks the two paths give the same JSON for routes in every state.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from rest_framework import relations, serializers
from rest_framework.fields import empty

Representation = Callable[[Any], Any]


class _Fallback(Exception):
    """Raised inside a compiled representation: this object takes DRF's own path."""


_MISSING = object()


_MAPPING_TYPES: dict[type, bool] = {}


def _is_mapping(cls: type) -> bool:
    """``isinstance(x, Mapping)`` for objects of ``cls``, asked of the ABC once per class (it is most of a read)."""
    known = _MAPPING_TYPES.get(cls)
    if known is None:
        known = _MAPPING_TYPES[cls] = issubclass(cls, Mapping)
    return known


def _read(instance: Any, attrs: tuple[str, ...]) -> Any:
    """``rest_framework.fields.get_attribute`` without its call of callables (those fall back)."""
    for attr in attrs:
        try:
            instance = instance[attr] if _is_mapping(type(instance)) else getattr(instance, attr)
        except ObjectDoesNotExist:
            return None
        except (KeyError, AttributeError):
            return _MISSING
        if callable(instance):
            raise _Fallback
    return instance


def _plain_serializer(serializer: serializers.BaseSerializer) -> bool:
    """Whether DRF's base classes alone decide how this serializer shows an object."""
    if isinstance(serializer, serializers.ListSerializer):
        return type(serializer).to_representation is serializers.ListSerializer.to_representation
    return type(serializer).to_representation is serializers.Serializer.to_representation


def _field_plan(field: serializers.Field) -> Representation | None:
    """How one field shows a present, non-None value; None when the field cannot be compiled."""
    if isinstance(field, serializers.ListSerializer):
        if not _plain_serializer(field) or not isinstance(field.child, serializers.BaseSerializer):
            return None
        child = _object_plan(field.child)
        if child is None:
            return None

        def many(value: Any) -> list:
            items = value.all() if isinstance(value, models.Manager) else value
            return [child(item) for item in items]

        return many
    if isinstance(field, serializers.BaseSerializer):
        return _object_plan(field)
    if isinstance(field, relations.RelatedField):
        if isinstance(field, relations.HyperlinkedRelatedField) or field.use_pk_only_optimization():
            return None
    elif type(field).get_attribute is not serializers.Field.get_attribute:
        return None  # ManyRelatedField, SerializerMethodField and the like read the object their own way
    return field.to_representation


def _object_plan(serializer: serializers.BaseSerializer, *, top: bool = False) -> Representation | None:
    """How a (non-list) serializer shows one object, or None when it cannot be compiled. ``top``: the serializer
    whose ``to_representation`` is this plan itself."""
    if not isinstance(serializer, serializers.Serializer) or not (top or _plain_serializer(serializer)):
        return None
    steps = []
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        plan = _field_plan(field)
        if plan is None or (field.default is not empty and callable(field.default)):
            return None
        steps.append((name, tuple(field.source_attrs), plan, field.default, field.allow_null, field.required))

    def represent(instance: Any) -> dict:
        out = {}
        for name, attrs, plan, default, allow_null, required in steps:
            value = _read(instance, attrs) if attrs else instance
            if value is _MISSING:
                if default is not empty:
                    value = default
                elif allow_null:
                    value = None
                elif not required:
                    continue
                else:
                    raise _Fallback
            out[name] = None if value is None else plan(value)
        return out

    return represent


class LeanRepresentation:
    """``to_representation`` of a serializer class through its compiled plan, built on first use:
    ``def to_representation(self, instance): return LEAN(self, instance)``."""

    def __init__(self) -> None:
        self.plans: dict[type, Representation | None] = {}

    def __call__(self, serializer: serializers.Serializer, instance: Any) -> Any:
        cls = type(serializer)
        if cls not in self.plans:
            self.plans[cls] = _object_plan(cls(), top=True)
        plan = self.plans[cls]
        if plan is not None:
            try:
                return plan(instance)
            except _Fallback:
                pass
        return serializers.Serializer.to_representation(serializer, instance)
