"""Admin forms that judge what they save with the service the admin then saves through (docs/security.md,
"Write paths"), so the admin shows the same field errors as the API."""

import copy
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance

if TYPE_CHECKING:
    # Generic in the stubs only: Django's ModelForm takes no type argument at runtime. The form serves any model.
    _ModelForm = forms.ModelForm[Any]
else:
    _ModelForm = forms.ModelForm


class ServiceCheckedForm(_ModelForm):
    """Calls ``check(candidate)`` with a copy of the instance carrying the submitted values; the
    ValidationError it raises becomes the form's field errors (non-field errors for fields it does not show)."""

    def check(self, candidate: Any, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if self.errors:
            return data
        try:
            self.check(construct_instance(self, copy.copy(self.instance)), data)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return data
