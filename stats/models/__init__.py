"""Statistics: rollup tables (rollups.py), annual reports (annual.py) and statistics report PDFs (reports.py)."""

from .annual import *  # noqa: F403
from .reports import *  # noqa: F403
from .rollups import *  # noqa: F403
