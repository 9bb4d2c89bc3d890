"""Keyset pagination and capped counts, for lists over millions of rows.

A page is the rows after (or before) a cursor in a fixed order — newest first by (time, id) — read by walking an
index from the cursor, so page 2,000 costs what page 1 costs; Django's Paginator counts every matching row and
skips OFFSET rows instead. Counts are capped: "more than 10,000" is read by counting at most 10,001 rows.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Q

PAGE_SIZE = 25
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Cursor:
    time: datetime
    pk: int

    def encode(self):
        # Exact integer microseconds: a float timestamp would lose the last digit and skip or repeat rows.
        return f"{(self.time - EPOCH) // MICROSECOND}-{self.pk}"

    @classmethod
    def decode(cls, text):
        """A cursor from a query string; None for anything malformed or out of range (never an error)."""
        try:
            micros, pk = (int(part) for part in str(text or "").split("-", 1))
            if not (0 <= micros < 10**17 and 0 < pk < 2**63):
                return None
            return cls(EPOCH + micros * MICROSECOND, pk)
        except (TypeError, ValueError, OverflowError, OSError):
            return None


@dataclass
class Page:
    items: list
    next_cursor: str | None
    previous_cursor: str | None

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)

    @property
    def has_other_pages(self):
        return bool(self.next_cursor or self.previous_cursor)


def keyset_page(queryset, *, after=None, before=None, size=None, time_field="created_at", id_field="id"):
    """One page of `queryset` newest first by (time_field, id_field): the rows after the cursor `after`, or the
    rows before the cursor `before` (the previous page). Returns a Page of the rows (model instances or values)."""

    size = size or PAGE_SIZE

    def key(row):
        if isinstance(row, dict):
            return Cursor(row[time_field], row[id_field])
        return Cursor(getattr(row, time_field), getattr(row, id_field))

    newest_first = (f"-{time_field}", f"-{id_field}")
    if before is not None:
        newer = Q(**{f"{time_field}__gt": before.time}) | Q(**{time_field: before.time, f"{id_field}__gt": before.pk})
        # The redundant bound lets the database start its index scan at the cursor instead of filtering from the end.
        rows = list(queryset.filter(newer, **{f"{time_field}__gte": before.time}).order_by(time_field, id_field)[: size + 1])
        has_newer = len(rows) > size
        rows = rows[:size][::-1]
        return Page(rows, key(rows[-1]).encode() if rows else None, key(rows[0]).encode() if rows and has_newer else None)
    if after is not None:
        older = Q(**{f"{time_field}__lt": after.time}) | Q(**{time_field: after.time, f"{id_field}__lt": after.pk})
        queryset = queryset.filter(older, **{f"{time_field}__lte": after.time})
    rows = list(queryset.order_by(*newest_first)[: size + 1])
    has_older = len(rows) > size
    rows = rows[:size]
    return Page(rows, key(rows[-1]).encode() if rows and has_older else None, key(rows[0]).encode() if rows and after is not None else None)


def capped_count(queryset, cap=COUNT_CAP, order_by=()):
    """(count, capped): the number of rows up to `cap`, and whether there are more. `order_by`: count the first rows
    in that order (an index walk that stops at the cap), where unordered the planner may read far more."""
    count = queryset.order_by(*order_by)[: cap + 1].count()
    return min(count, cap), count > cap
