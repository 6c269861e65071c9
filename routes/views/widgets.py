"""Form widgets for pages every user loads often.

``QuickSelect`` is Django's ``Select`` written out in Python: the same markup Django's templates
(``django/forms/widgets/select.html``, ``select_option.html``, ``attrs.html``) give, without rendering three
templates per option. The route list's filter form has five selects; through the templates they cost as much as
the table of routes below them (docs/architecture.md, "Pages and API under load"). Anything but plain options
(option groups, values or labels of other types) takes Django's own path. tests/web/test_quick_select.py checks
both give the same HTML.
"""

from django import forms
from django.forms.models import ModelChoiceIteratorValue
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

PLAIN = (str, int, ModelChoiceIteratorValue)


class _Unusual(Exception):
    """Raised while writing the markup: Django's templates render this one."""


def _text(value) -> str:
    """What ``{{ value|stringformat:'s' }}`` shows, escaped."""
    if isinstance(value, bool) or not isinstance(value, PLAIN):
        raise _Unusual
    return conditional_escape(value if isinstance(value, str) else str(value))


def _attrs(attrs: dict) -> str:
    """``attrs.html``: ` name="value"` each, a True value as the bare name, a False one left out."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {conditional_escape(name)}")
        else:
            out.append(f' {conditional_escape(name)}="{_text(value)}"')
    return "".join(out)


class QuickSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        try:
            parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
            for group_name, options, _index in widget["optgroups"]:
                if group_name:
                    raise _Unusual
                for option in options:
                    label = option["label"]
                    if isinstance(label, Promise):
                        label = str(label)  # what the template shows of a lazy translation
                    if not isinstance(label, str):
                        raise _Unusual
                    parts.append(
                        f'\n  <option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
                        f"{conditional_escape(label)}</option>\n"
                    )
        except _Unusual:
            return super().render(name, value, attrs, renderer)
        parts.append("\n</select>")
        return mark_safe("".join(parts))
