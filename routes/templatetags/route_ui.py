"""Presentation helpers for route templates: the state badge and diff lines.

The badge colour comes from the state's choices class (``routes/choices.py``), so the pages, the admin and
the API agree on what green or red means; the markup lives once, in ``templates/includes/_badge.html``.
"""

from functools import lru_cache

from django import template
from django.template.loader import get_template
from django.utils import translation
from django.utils.html import format_html

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


# One box of the traffic-flow picture (routes.traffic_flow.Node), as SVG. Written out here rather than included
# as a template: the route page and its status partial draw eight boxes of ~15 values each on every load and poll,
# which through {% include %} cost as much as the rest of the partial. tests/web/test_traffic_flow_markup.py
# checks it against the template markup it replaced.
_FLOW_NODE = (
    '<g class="flow-node flow-{state}" data-hop="{key}" data-state="{state}">\n'
    "      <title>{title}: {name} ({state}) {detail}</title>\n"
    '      <rect x="{x}" y="{y}" width="{box}" height="{box_height}" rx="8"/>\n'
    '      <text x="{text_x}" y="{title_y}" class="flow-title">{title} <tspan class="flow-name">{name}</tspan></text>\n'
    '      <text x="{text_x}" y="{detail_y}" class="flow-detail">{detail}</text>\n'
    "    </g>\n"
)


@register.simple_tag
def flow_node(node, flow: dict) -> str:
    """``{% flow_node node flow %}``: one node of ``routes.traffic_flow.picture``'s ``flow``, escaped."""
    return format_html(
        _FLOW_NODE,
        state=node.state,
        key=node.key,
        title=node.title,
        name=node.name,
        detail=node.detail,
        x=node.x,
        y=node.y,
        box=flow["box"],
        box_height=flow["box_height"],
        text_x=node.x + 10,
        title_y=node.y + 18,
        detail_y=node.y + 35,
    )
