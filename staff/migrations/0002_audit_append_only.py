"""The staff audit trail is append-only: the database refuses to change or delete it."""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION staff_audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only (% on %)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER staff_auditrecord_append_only BEFORE UPDATE OR DELETE ON staff_auditrecord
    FOR EACH ROW EXECUTE FUNCTION staff_audit_refuse_change();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS staff_auditrecord_append_only ON staff_auditrecord;
DROP FUNCTION IF EXISTS staff_audit_refuse_change();
"""
SQLITE_FORWARD = (
    "CREATE TRIGGER staff_auditrecord_no_update BEFORE UPDATE ON staff_auditrecord "
    "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;"
)
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS staff_auditrecord_no_update;"


def forward(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    schema_editor.execute(POSTGRES_FORWARD if postgres else SQLITE_FORWARD, params=None)


def backward(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    schema_editor.execute(POSTGRES_BACKWARD if postgres else SQLITE_BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("staff", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
