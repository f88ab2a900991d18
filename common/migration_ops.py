"""Migration operations the apps share."""

from __future__ import annotations

from pathlib import Path

from django.db import migrations


def run_sql_file(migration_file: str, name: str) -> migrations.RunSQL:
    """Runs one of an app's SQL files (`<app>/migrations/sql/<name>`) as it reads now.

    Each file holds the current text of its functions and triggers and drops them before creating
    them, so a change is an edit of the file plus a migration that loads it again. PL/pgSQL bodies
    are checked for tables and columns only when they run, so an older migration that loads the
    newer text works on a new database too; an SQL-language function's body is checked as it is
    created, so it may name only what existed when the file was first loaded.
    """
    path = Path(migration_file).resolve().parent / "sql" / name
    return migrations.RunSQL([path.read_text(encoding="utf-8")], migrations.RunSQL.noop)


def drop_indexes_led_by_composites(*indexes: tuple[str, str]) -> migrations.RunPython:
    """Drops the single-column indexes of these (table, column) pairs, each the leading column of a
    composite index on the same table, which serves every lookup the single one served.

    Only the indexes: Django's own AlterField (db_index=False) would also drop and add each foreign
    key again, checking every row of a large table while it holds it locked. Pair it with that
    AlterField as the state operation of a SeparateDatabaseAndState, in a migration with
    `atomic = False`: the indexes go CONCURRENTLY, so that payments are not held up
    behind the drop's lock while it waits for the tables' readers.
    """

    def forward(apps, schema_editor):
        for table, column in indexes:
            name = _quoted_name(schema_editor, table, column)
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")

    def backward(apps, schema_editor):
        quote = schema_editor.quote_name
        for table, column in indexes:
            schema_editor.execute(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS "
                f"{_quoted_name(schema_editor, table, column)} ON {quote(table)} ({quote(column)})"
            )

    return migrations.RunPython(forward, backward)


def _quoted_name(schema_editor, table: str, column: str) -> str:
    # The name Django gave the index when it created it for the field (a stable hash of the names).
    return schema_editor.quote_name(schema_editor._create_index_name(table, [column]))
