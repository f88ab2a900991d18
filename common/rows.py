"""Model instances read from a hand-written SELECT, for the few lookups made on every request.

The ORM compiles its SQL anew on every call: about 0.3 ms of CPU for a two-table lookup, more than
the database spends answering it. These statements are written once, from the models' own metadata,
and their rows are read into the instances the ORM would build, with the same value conversions, so
callers cannot tell the difference.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.db import connection
from django.db.models import Model


def columns(model: type[Model], alias: str, *, without: tuple[str, ...] = ()) -> str:
    """The model's columns (but `without`), qualified by the table alias, in the order `instances`
    reads them."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in _reading(model, without)[0])


def instances(
    row: Sequence, models: Sequence[type[Model]], *, without: dict[type[Model], tuple[str, ...]] | None = None
) -> list[Model | None]:
    """One instance per model from a row of their `columns`, one after the other; None for a model
    whose primary key is NULL (a LEFT JOIN that found nothing). A field left out (`without`) is
    deferred, as with QuerySet.defer(): read on first use, and not written by save()."""
    found: list[Model | None] = []
    start = 0
    for model in models:
        fields, converters = _reading(model, (without or {}).get(model, ()))
        values = list(row[start : start + len(fields)])
        start += len(fields)
        if values[fields.index(model._meta.pk)] is None:
            found.append(None)
            continue
        for index, expression, steps in converters:
            for convert in steps:
                values[index] = convert(values[index], expression, connection)
        found.append(model.from_db(connection.alias, [f.attname for f in fields], values))
    return found


@cache
def _reading(model: type[Model], without: tuple[str, ...] = ()) -> tuple[list, list]:
    fields = [field for field in model._meta.concrete_fields if field.attname not in without]
    converters = []
    for index, field in enumerate(fields):
        expression = field.get_col(model._meta.db_table)
        steps = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        if steps:
            converters.append((index, expression, steps))
    return fields, converters
