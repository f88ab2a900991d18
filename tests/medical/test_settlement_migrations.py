"""A settlement's answer is read through medical_settlement_fresh, whose row type is the table's: a
statement prepared before a column of medical_settlement is dropped, renamed or changes type would fail
after it, unless the function is replaced (settlements.sql loaded again), which drops every plan built
on it. Every migration from the one that made the function on must do so when it changes a column."""

from django.db import migrations
from django.db.migrations.loader import MigrationLoader

FIRST = "0007_settlement_answer_in_one_statement"
COLUMN_CHANGES = (migrations.RemoveField, migrations.AlterField, migrations.RenameField)


def flattened(operations):
    for operation in operations:
        if isinstance(operation, migrations.SeparateDatabaseAndState):
            yield from flattened(operation.database_operations)
        else:
            yield operation


def loads_settlements_sql(operations) -> bool:
    return any(
        isinstance(operation, migrations.RunSQL)
        and "CREATE FUNCTION medical_settlement_fresh" in str(operation.sql)
        for operation in flattened(operations)
    )


def test_a_migration_changing_a_settlement_column_loads_settlements_sql_again():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    medical = {
        name: migration for (app, name), migration in loader.disk_migrations.items() if app == "medical"
    }
    assert loads_settlements_sql(medical[FIRST].operations)
    for name, migration in sorted(medical.items()):
        if name < FIRST:
            continue
        operations = list(flattened(migration.operations))
        changes = [
            op
            for op in operations
            if isinstance(op, COLUMN_CHANGES) and op.model_name.lower() == "settlement"
        ]
        assert not changes or loads_settlements_sql(operations), name
