"""The staff audit trail is append-only: the database refuses to change or delete it."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION staff_audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only (% on %)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER staff_auditrecord_append_only BEFORE UPDATE OR DELETE ON staff_auditrecord
    FOR EACH ROW EXECUTE FUNCTION staff_audit_refuse_change();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS staff_auditrecord_append_only ON staff_auditrecord;
DROP FUNCTION IF EXISTS staff_audit_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("staff", "0001_initial")]
    operations = [migrations.RunSQL([FORWARD], [BACKWARD])]
