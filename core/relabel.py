"""Moving a model to another app keeps its content type row (and so its permissions and admin history):
the row is relabelled, not replaced."""


def relabel(old_label: str, new_label: str, models: list[str]):
    def forwards(apps, schema_editor):
        content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
        for model in models:
            if not content_types.filter(app_label=new_label, model=model).exists():
                content_types.filter(app_label=old_label, model=model).update(app_label=new_label)

    def backwards(apps, schema_editor):
        relabel(new_label, old_label, models)[0](apps, schema_editor)

    return forwards, backwards
