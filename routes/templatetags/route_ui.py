"""Presentation helpers for route templates: the state badge and diff lines.

The badge colour comes from the state's choices class (``routes/choices.py``), so the pages, the admin and
the API agree on what green or red means; the markup lives once, in ``templates/includes/_badge.html``.
"""

from functools import lru_cache

from django import template
from django.template.loader import get_template
from django.utils import translation

from core.choices import ColoredChoices
from routes.choices import ApprovalChoices, HealthChoices, SyncChoices

register = template.Library()

STATE_CHOICES: dict[str, type[ColoredChoices]] = {
    "approval": ApprovalChoices,
    "sync": SyncChoices,
    "health": HealthChoices,
}


@register.simple_tag
def state_badge(kind: str, value: str) -> str:
    """A badge for an approval, sync or health value: ``{% state_badge "health" route.health %}``.

    A page shows dozens (three per row of the route list) of a handful of different badges, so each is rendered
    from ``_badge.html`` once per process (and language) and reused."""
    return _badge(kind, value, translation.get_language())


@lru_cache(maxsize=256)
def _badge(kind: str, value: str, language: str | None) -> str:
    return get_template("includes/_badge.html").render(badge_context(kind, value))


def badge_context(kind: str, value: str) -> dict:
    choices = STATE_CHOICES[kind]
    label = choices(value).label if value in choices.values else value
    return {"color": choices.color(value), "label": label, "title": f"{kind.capitalize()}: {label}"}


@register.filter
def diff_lines(text: str) -> list[tuple[str, str]]:
    """A unified diff as (css class, line) pairs, so added and removed lines can be coloured."""
    lines = []
    for line in (text or "").splitlines():
        if line.startswith(("+++", "---")):
            kind = "diff-file"
        elif line.startswith("@@"):
            kind = "diff-hunk"
        elif line.startswith("+"):
            kind = "diff-add"
        elif line.startswith("-"):
            kind = "diff-del"
        else:
            kind = "diff-ctx"
        lines.append((kind, line))
    return lines
