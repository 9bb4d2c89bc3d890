"""The reporting period (1 January – 31 December, Vietnam time) and the submission deadline."""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.utils import timezone

VIETNAM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
FIRST_YEAR = 2000


def year_bounds(year):
    """[start, end) of the calendar year in Vietnam time, as aware datetimes."""
    return dt.datetime(year, 1, 1, tzinfo=VIETNAM), dt.datetime(year + 1, 1, 1, tzinfo=VIETNAM)


def deadline(year):
    """The last day on which the report of `year` is on time (HWMS_ANNUAL_REPORT_DEADLINE "MM-DD" of the next
    year; 15 January by default)."""
    month, day = (int(part) for part in settings.HWMS_ANNUAL_REPORT_DEADLINE.split("-"))
    return dt.date(year + 1, month, day)


def due_by(year):
    """The first instant past the deadline: the day after it, 00:00 Vietnam time (15 Jan 23:59 is on time)."""
    return dt.datetime.combine(deadline(year) + dt.timedelta(days=1), dt.time.min, tzinfo=VIETNAM)


def is_late(year, when):
    return when >= due_by(year)


def last_closed_year(now=None):
    """The latest year that is over: the one reported on now."""
    return timezone.localtime(now or timezone.now(), VIETNAM).year - 1


def reportable(year):
    """Whether `year` may be reported on (an integer year that is over, not absurdly old)."""
    return isinstance(year, int) and FIRST_YEAR <= year <= last_closed_year()
