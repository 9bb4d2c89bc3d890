"""Single-statement writes the ORM spells in several round trips (PostgreSQL and SQLite ≥ 3.35 alike).

A transition of the status machine runs a few dozen statements; each ORM idiom below costs two to four of
them (a savepoint, a read, a write, a release). These do the same in one, with the same row locks.
"""

from django.db import connection
from django.db.models.sql import InsertQuery, UpdateQuery


def _columns(model, names):
    return [model._meta.get_field(name).column for name in names]


def _params(model, values):
    """Values as the database takes them (datetimes and decimals differ between PostgreSQL and SQLite)."""
    return [model._meta.get_field(name).get_db_prep_save(value, connection) for name, value in values.items()]


def increment(model, keys, field, step):
    """Add `step` to `field` of the row of `model` identified by `keys` ({field name: value}, the fields of a unique
    constraint), creating the row with `step` when it does not exist yet; returns the new value.

    The row stays locked until the transaction ends (like SELECT … FOR UPDATE then UPDATE), and a concurrent
    creator of the same row is waited for instead of failing on the unique constraint.
    """
    table = model._meta.db_table
    key_columns = _columns(model, keys)
    (column,) = _columns(model, [field])
    placeholders = ", ".join(["%s"] * (len(key_columns) + 1))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(key_columns)}, {column}) VALUES ({placeholders}) "
            f"ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET {column} = {table}.{column} + excluded.{column} "
            f"RETURNING {column}",
            _params(model, {**keys, field: step}),
        )
        value = cursor.fetchone()[0]
    return model._meta.get_field(field).to_python(value)


def insert_unless_exists(model, values, conflict):
    """Insert a row of `model` ({field name: value}) unless one with the same `conflict` fields (a unique
    constraint) exists; returns the new row's id, or None when it existed. A concurrent insert of the same key
    is waited for (then None if it committed), as a plain INSERT waits on the unique index."""
    table = model._meta.db_table
    placeholders = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(_columns(model, values))}) VALUES ({placeholders}) "
            f"ON CONFLICT ({', '.join(_columns(model, conflict))}) DO NOTHING RETURNING {model._meta.pk.column}",
            _params(model, values),
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def _plain(fields):
    """Whether every field is written as a plain %s parameter (no database-specific placeholder, as geometries
    have): then the statements below are spelled here, without compiling an ORM query (a few hundred
    microseconds each, several times per transition)."""
    return not any(hasattr(field, "get_placeholder") for field in fields)


def insert_statement(model, objs):
    """(sql, params) of inserting `objs` (instances of `model`, ids left to the database), to send with other
    statements; the fields' pre_save runs as in a save."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    if not _plain(fields):
        query = InsertQuery(model)
        query.insert_values(fields, objs)
        ((statement, params),) = query.get_compiler(connection=connection).as_sql()
        return statement, params
    quote = connection.ops.quote_name
    row = f"({', '.join(['%s'] * len(fields))})"
    params = [field.get_db_prep_save(field.pre_save(obj, True), connection) for obj in objs for field in fields]
    columns = ", ".join(quote(field.column) for field in fields)
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {', '.join([row] * len(objs))}", params


def update_statement(instance, update_fields=None):
    """(sql, params) of instance.save(update_fields=…) for a row that exists, to send with other statements; the
    fields' pre_save runs as in a save (auto_now). No signal is sent: for models that have no save receivers."""
    fields = [
        field
        for field in instance._meta.local_concrete_fields
        if not field.primary_key and (update_fields is None or field.name in update_fields or field.attname in update_fields)
    ]
    if not _plain(fields):
        query = UpdateQuery(type(instance))
        query.add_update_fields([(field, None, field.pre_save(instance, False)) for field in fields])
        query.add_filter("pk", instance.pk)
        return query.get_compiler(connection=connection).as_sql()
    quote, meta = connection.ops.quote_name, instance._meta
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    params = [field.get_db_prep_save(field.pre_save(instance, False), connection) for field in fields]
    pk = meta.pk.get_db_prep_value(instance.pk, connection)
    return f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s", [*params, pk]


def update_queryset_statement(queryset, values):
    """(sql, params) of queryset.update(**values), to send with other statements."""
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(values)
    return query.get_compiler(queryset.db).as_sql()


def bulk_update_statement(objs, fields):
    """(sql, params) of Model.objects.bulk_update(objs, fields) for a few objects, to send with other statements:
    one UPDATE … FROM a list of rows (Django's bulk_update builds a CASE per field and object, costly in Python)."""
    model = type(objs[0])
    table, quote = model._meta.db_table, connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in fields]
    pk = model._meta.pk.column

    def typed(field):  # PostgreSQL types the list's columns from the first row; a NULL there needs its type
        return f"CAST(%s AS {field.db_type(connection)})" if connection.vendor == "postgresql" else "%s"

    row = ", ".join([f"%s AS {quote('pk')}"] + [f"{typed(field)} AS {quote(field.column)}" for field in fields])
    rows = " UNION ALL ".join([f"SELECT {row}"] * len(objs))
    assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in fields)
    params = [
        value
        for obj in objs
        for value in (obj.pk, *(field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields))
    ]
    return f"UPDATE {quote(table)} SET {assignments} FROM ({rows}) AS v WHERE {quote(table)}.{quote(pk)} = v.{quote('pk')}", params


def execute(statements):
    """Run (sql, params) statements in order, one round trip each (the fallback of the combined forms)."""
    with connection.cursor() as cursor:
        for statement, params in statements:
            cursor.execute(statement, params)


def execute_together(statements):
    """Run write statements ((sql, params)) in one round trip on PostgreSQL: the first ones as data-modifying WITH
    queries of the last. They share one snapshot there: none may read the rows another writes."""
    if not statements:
        return
    if connection.vendor != "postgresql":
        execute(statements)
        return
    with connection.cursor() as cursor:
        *first, (last, last_params) = statements
        ctes = ", ".join(f"w{index} AS ({statement})" for index, (statement, _params) in enumerate(first))
        params = [value for _sql, statement_params in first for value in statement_params]
        cursor.execute(f"WITH {ctes} {last}" if first else last, [*params, *last_params])
