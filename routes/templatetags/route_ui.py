"""Presentation helpers for route templates: the state badge and diff lines.

The badge colour comes from the state's choices class (``routes/choices.py``), so the pages, the admin and
the API agree on what green or red means; the markup lives once, in ``templates/includes/_badge.html``.
"""

from django import template

from core.choices import ColoredChoices
from routes.choices import ApprovalChoices, HealthChoices, SyncChoices

register = template.Library()

STATE_CHOICES: dict[str, type[ColoredChoices]] = {
    "approval": ApprovalChoices,
    "sync": SyncChoices,
    "health": HealthChoices,
}


@register.inclusion_tag("includes/_badge.html")
def state_badge(kind: str, value: str) -> dict:
    """A badge for an approval, sync or health value: ``{% state_badge "health" route.health %}``."""
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
