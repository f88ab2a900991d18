"""No index of the portal's tables repeats the leading columns of another: every insert writes each
index, and a payment had written eight entries into such indexes (migration 0007 of payments and its
siblings)."""

from django.apps import apps
from django.db import connection

PORTAL_APPS = {"accounts", "insurees", "ledger", "mutual_aid", "notices", "payments", "staff"}

# A plain b-tree index whose columns begin (or are) another b-tree index's on the same table, with the
# same operator classes; neither partial.
LED_BY_ANOTHER = """
    SELECT t.relname, i.relname, c.relname
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_am a ON a.oid = i.relam AND a.amname = 'btree'
    JOIN pg_index y ON y.indrelid = x.indrelid AND y.indexrelid <> x.indexrelid
    JOIN pg_class c ON c.oid = y.indexrelid
    JOIN pg_am b ON b.oid = c.relam AND b.amname = 'btree'
    WHERE t.relname = ANY (%s) AND NOT x.indisunique AND x.indpred IS NULL AND y.indpred IS NULL
      AND x.indexprs IS NULL AND y.indexprs IS NULL AND x.indnkeyatts <= y.indnkeyatts
      AND (y.indkey::int2[])[0:x.indnkeyatts - 1] = (x.indkey::int2[])[0:x.indnkeyatts - 1]
      AND (y.indclass::oid[])[0:x.indnkeyatts - 1] = (x.indclass::oid[])[0:x.indnkeyatts - 1]
      AND (y.indcollation::oid[])[0:x.indnkeyatts - 1] = (x.indcollation::oid[])[0:x.indnkeyatts - 1]
"""


def test_no_index_of_the_portals_tables_leads_another(db):
    # The tables of the portal's own models; an auto-created many-to-many table's indexes are Django's.
    tables = [
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.app_label in PORTAL_APPS and not model._meta.auto_created
    ]
    with connection.cursor() as cursor:
        cursor.execute(LED_BY_ANOTHER, [tables])
        redundant = cursor.fetchall()

    assert redundant == []
