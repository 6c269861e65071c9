"""Moving a model to another app keeps its content type row (and so its permissions and admin history):
the row is relabelled, not replaced."""

from collections.abc import Callable
from typing import Any


def relabel(old_label: str, new_label: str, models: list[str]) -> tuple[Callable[..., None], Callable[..., None]]:
    def forwards(apps: Any, schema_editor: Any) -> None:
        content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
        for model in models:
            if not content_types.filter(app_label=new_label, model=model).exists():
                content_types.filter(app_label=old_label, model=model).update(app_label=new_label)

    def backwards(apps: Any, schema_editor: Any) -> None:
        relabel(new_label, old_label, models)[0](apps, schema_editor)

    return forwards, backwards
