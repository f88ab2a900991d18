"""Migration operations the apps share."""

from __future__ import annotations

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """AddIndex that builds the index CONCURRENTLY on PostgreSQL, so that writes to a large table
    go on while it is built (the migration needs `atomic = False`); elsewhere a plain AddIndex."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


def drop_indexes_led_by_composites(*indexes: tuple[str, str]) -> migrations.RunPython:
    """Drops the single-column indexes of these (table, column) pairs, each the leading column of a
    composite index on the same table, which serves every lookup the single one served.

    Only the indexes: Django's own AlterField (db_index=False) would also drop and add each foreign
    key again, checking every row of a large table while it holds it locked. Pair it with that
    AlterField as the state operation of a SeparateDatabaseAndState, in a migration with
    `atomic = False`: on PostgreSQL the indexes go CONCURRENTLY, so that payments are not held up
    behind the drop's lock while it waits for the tables' readers.
    """

    def forward(apps, schema_editor):
        for table, column in indexes:
            name = _quoted_name(schema_editor, table, column)
            schema_editor.execute(f"DROP INDEX {_concurrently(schema_editor)} IF EXISTS {name}")

    def backward(apps, schema_editor):
        quote = schema_editor.quote_name
        for table, column in indexes:
            schema_editor.execute(
                f"CREATE INDEX {_concurrently(schema_editor)} IF NOT EXISTS "
                f"{_quoted_name(schema_editor, table, column)} ON {quote(table)} ({quote(column)})"
            )

    return migrations.RunPython(forward, backward)


def _concurrently(schema_editor) -> str:
    return "CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""


def _quoted_name(schema_editor, table: str, column: str) -> str:
    # The name Django gave the index when it created it for the field (a stable hash of the names).
    return schema_editor.quote_name(schema_editor._create_index_name(table, [column]))
