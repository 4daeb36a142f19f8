"""One row of hand-written SQL as a model instance, for the acceptance API's busiest queries.

Building a query with the ORM costs more Python time than PostgreSQL takes to answer the
simple indexed lookups the products make on every call (bench/acceptance_cpu.py), and
`Manager.raw()` still works out its column mapping on every call. `Lookup` does that once:
it keeps the SQL, the fields it selects and their database converters, and turns the first
row into an instance with only those fields loaded, as `.only()` would (any other field is
read with a query if code asks for it).
"""

from django.db import connection


class Lookup:
    """`SELECT <fields> FROM <model's table> WHERE <where> <tail>`: the first row, or None."""

    def __init__(self, model, fields, where, tail=""):
        meta = model._meta
        self.model = model
        # In the model's order: Model.from_db() takes the loaded values in that order.
        wanted = {meta.get_field(name) for name in fields}
        self.fields = [field for field in meta.concrete_fields if field in wanted]
        self.attnames = [field.attname for field in self.fields]
        columns = ", ".join(connection.ops.quote_name(field.column) for field in self.fields)
        self.select = f"SELECT {columns} FROM {connection.ops.quote_name(meta.db_table)}"
        self.where, self.tail = where, tail
        self.sql = f"{self.select} WHERE {where} {tail}".strip()
        self._converters = None

    def converters(self):
        """(column expression, its converters) per field, as the ORM's compiler applies them."""
        if self._converters is None:
            self._converters = []
            for field in self.fields:
                column = field.get_col(self.model._meta.db_table)
                converters = [*connection.ops.get_db_converters(column), *field.get_db_converters(connection)]
                self._converters.append((column, converters))
        return self._converters

    def first(self, params, *, also=""):
        """The first row for `params`; `also` is one more condition of the WHERE clause, its values last in `params`."""
        sql = f"{self.select} WHERE {self.where} AND {also} {self.tail}".strip() if also else self.sql
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        values = []
        for value, (column, converters) in zip(row, self.converters(), strict=True):
            for converter in converters:
                value = converter(value, column, connection)
            values.append(value)
        return self.model.from_db(connection.alias, self.attnames, values)

    @staticmethod
    def instant(value):
        """A datetime as the ORM sends it to this database (naive UTC on SQLite)."""
        return connection.ops.adapt_datetimefield_value(value)
