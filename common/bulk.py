"""Inserting many rows of plain values at once, the fastest way the database offers.

On PostgreSQL the new primary keys are drawn from the table's own sequence in one statement and the
rows go in by COPY: no model instance, no per-value preparation, no statement to plan. Elsewhere
(SQLite: the embedded default and the tests) it is bulk_create, with the same result.

A field left out takes its default as the ORM gives it (an auto_now field: now); a default is
worked out once per call, so a field whose default must differ per row (a random token) has to be
given.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import DateField, Model
from django.utils import timezone


def bulk_insert(model: type[Model], columns: Sequence[str], rows: Sequence[Sequence]) -> list[int]:
    """Inserts `rows` (values in the order of `columns`, field attnames); returns their new primary
    keys, in the order of `rows`."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        created = model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows])
        return [instance.pk for instance in created]
    meta = model._meta
    given = {name: index for index, name in enumerate(columns)}
    rest = [field for field in meta.concrete_fields if field.attname not in given and not field.primary_key]
    defaults = tuple(_default(field) for field in rest)
    quote = connection.ops.quote_name
    names = ", ".join(quote(meta.get_field(name).column) for name in (meta.pk.attname, *columns))
    names += "".join(f", {quote(field.column)}" for field in rest)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        keys = [key for (key,) in cursor.fetchall()]
        with cursor.copy(f"COPY {quote(meta.db_table)} ({names}) FROM STDIN") as copy:
            for key, row in zip(keys, rows, strict=True):
                copy.write_row((key, *row, *defaults))
    return keys


def _default(field):
    if isinstance(field, DateField) and (field.auto_now or field.auto_now_add):
        now = timezone.now()
        return now if field.get_internal_type() == "DateTimeField" else timezone.localdate(now)
    return field.get_default()
