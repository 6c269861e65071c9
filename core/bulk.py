"""Writing many rows' fields at once, each row its own values.

Django's ``bulk_update`` builds one ``CASE WHEN pk = ... THEN ...`` expression per field and row, and resolving
those expressions costs about a millisecond of CPU per row and field: a sync writing the status (nine fields) of
1,000 routes spent seconds in Django's expression code before PostgreSQL saw a byte (bench/notes.md, "First
apply"). ``update_rows`` sends PostgreSQL one ``UPDATE ... FROM (VALUES ...)`` per batch instead, with each value
cast to its column's type, and falls back to ``bulk_update`` elsewhere (SQLite in ``make run``). No maintained
library does just this without a schema or a COPY into a temporary table, so it is written here.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connections, models, router

BATCH_SIZE = 500


def update_rows(objs: Sequence[models.Model], fields: Sequence[str], *, batch_size: int = BATCH_SIZE) -> None:
    """Save ``fields`` of every object in ``objs`` (one model, saved rows) by primary key, in batches."""
    if not objs:
        return
    model = type(objs[0])
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        model._default_manager.using(using).bulk_update(objs, fields, batch_size=batch_size)
        return
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    columns: list[models.Field[Any, Any]] = []
    for name in fields:
        field = meta.get_field(name)
        assert isinstance(field, models.Field) and field.column is not None, f"{name} is not a column"
        columns.append(field)
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ["pk", *(f"c{i}" for i in range(len(columns)))]
    assignments = ", ".join(
        f"{quote(str(field.column))} = CAST(v.{names[i + 1]} AS {field.db_type(connection)})"
        for i, field in enumerate(columns)
    )
    row = "(" + ", ".join(["%s"] * len(names)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            chunk = objs[start : start + batch_size]
            params: list[Any] = []
            for obj in chunk:
                params.append(pk.get_db_prep_save(obj.pk, connection))
                params += [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row] * len(chunk))}) "
                f"AS v({', '.join(names)}) WHERE {table}.{quote(str(pk.column))} = CAST(v.pk AS {pk.db_type(connection)})",
                params,
            )
