"""`field__any_of=values`: `field = ANY(%s)`, with one array parameter, where `field__in` writes an IN
list.

For the thousands of values of a bulk job (a roster chunk's ID numbers, its accounts) an IN list is
one parameter per value: Django builds, and psycopg scans, a statement of thousands of placeholders,
which cost more than the database spends answering. The array is one parameter, and PostgreSQL uses
the same index for it.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In


class _AsArray:
    lookup_name: str | None = "any_of"

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return self.as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(value, connection, prepared=True) for value in self.rhs]
        if not values:
            raise EmptyResultSet
        return f"{lhs} = ANY(%s)", (*lhs_params, values)


@Field.register_lookup
class AnyOf(_AsArray, In):
    pass


@ForeignObject.register_lookup
class RelatedAnyOf(_AsArray, RelatedIn):
    pass
