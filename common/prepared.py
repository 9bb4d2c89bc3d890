"""Query shapes compiled once per connection, then run with new values.

Django compiles a queryset's SQL anew on every evaluation: for the few fixed-shape queries run on every request
or transition (the user's memberships, the locked manifest with its parties, its lines) that compilation costs more
CPU than PostgreSQL spends answering them. A `Prepared` query is built once with stand-in values, compiled, and
afterwards run with the real values in their places through Django's own iterables (model instances,
select_related, annotations, values()) — the same objects as the plain queryset would give.

Only for shapes that do not depend on the values: scalar values (an id, a key) and lists through the `any`
lookup below (`pk__any=ids`: one parameter whatever the length, where `pk__in` writes one per item), never None
(which turns `=` into `IS NULL`). Values are passed as the database takes them (ids, strings).
"""

import copy
import itertools
import json

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, ForeignObject, Lookup

LISTS = (list, tuple, set, frozenset)


def _as_list_parameter(values, connection):
    """A list as one parameter: an array for PostgreSQL, JSON text for SQLite's json_each."""
    return list(values) if connection.vendor == "postgresql" else json.dumps(list(values))


class AnyOf(Lookup):
    """`field__any=[…]`: the field equals one of the values, sent as one parameter (`= ANY(%s)`)."""

    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [_as_list_parameter(value, connection) if isinstance(value, LISTS) else value]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]
        return f"{lhs} IN (SELECT value FROM json_each({rhs}))", [*lhs_params, *rhs_params]


# Foreign keys have their own lookups (related_lookups): `manifest_id__any=ids` needs it registered there too.
Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)

# Stand-ins: negative numbers no real row or parameter uses, within a 32-bit integer (Django turns a comparison
# with a number outside an integer field's range into an empty result at compile time).
_STAND_INS = itertools.count(-2_071_000_001, -1)


class Prepared:
    def __init__(self, build, arity=1):
        """`build(*values)` returns the queryset for those values; `arity` is the number of values."""
        self.build = build
        self.stand_ins = tuple(next(_STAND_INS) for _ in range(arity))

    def _compiled(self, using):
        """(queryset, compiler, sql, params, slots) for this connection: compiled on first use."""
        cache = connections[using].__dict__.setdefault("_hwms_prepared", {})
        entry = cache.get(self)
        if entry is None:
            queryset = self.build(*self.stand_ins)
            compiler = queryset.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            # Which parameter is which value: the stand-ins are numbers no other parameter equals (as text where the
            # field takes text: a chain name, a key).
            slots = [self._slot(param) for param in params]
            if {slot for slot in slots if slot is not None} != set(range(len(self.stand_ins))):
                raise ValueError("each value of a prepared query must appear in its SQL as a parameter")
            converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
            compiler.get_converters = lambda fields: converters
            entry = cache[self] = (queryset, compiler, sql, params, slots)
        return entry

    def _slot(self, param):
        for index, stand_in in enumerate(self.stand_ins):
            if (type(param) is int and param == stand_in) or (type(param) is str and param == str(stand_in)):
                return index
        return None

    def __call__(self, *values, using=DEFAULT_DB_ALIAS):
        """The rows for these values, as a list (evaluated: a prepared query is not refined further)."""
        queryset, compiler, sql, params, slots = self._compiled(using)
        values = [_as_list_parameter(value, compiler.connection) if isinstance(value, LISTS) else value for value in values]
        bound = tuple(param if slot is None else values[slot] for param, slot in zip(params, slots, strict=True))
        run = copy.copy(compiler)  # select, klass_info and converters as compiled; only the values change
        run.as_sql = lambda *args, **kwargs: (sql, bound)
        result = queryset._chain()
        result.query.get_compiler = lambda *args, **kwargs: run
        return list(result)


_BY_IDS = {}


def in_bulk(model, ids, *related):
    """{pk: object} of `model` for `ids`, like model.objects.select_related(*related).in_bulk(ids), compiled once."""
    if not ids:
        return {}
    prepared = _BY_IDS.get((model, related))
    if prepared is None:
        # select_related() without names would follow every foreign key.
        prepared = _BY_IDS[(model, related)] = Prepared(
            lambda pks: (model._default_manager.select_related(*related) if related else model._default_manager).filter(pk__any=pks).order_by()
        )
    return {obj.pk: obj for obj in prepared(list(ids))}


def prefetched(instance, name, related, back):
    """`related` (objects of the reverse foreign key `name` of `instance`, read by a prepared query) as what
    `instance.<name>.all()` gives from now on, each pointing back at `instance` through its field `back`, as
    prefetch_related would have left them: read once, reused by whatever reads the relation next."""
    for obj in related:
        setattr(obj, back, instance)
    queryset = getattr(instance, name).all()
    queryset._result_cache, queryset._prefetch_done = list(related), True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset
    return related
