"""Statistics: rollup tables (rollups.py) and annual reports (annual.py)."""

from .annual import *  # noqa: F403
from .rollups import *  # noqa: F403
