"""Base for state choices that carry a badge colour, used by the API, the pages and the admin alike."""

from django.db import models


class ColoredChoices(models.TextChoices):
    """TextChoices whose members also name a badge colour (see static/css/portico.css `.badge-<colour>`)."""

    @classmethod
    def color(cls, value: str) -> str:
        return cls._colors().get(value, "grey")

    @classmethod
    def _colors(cls) -> dict[str, str]:
        return {}
