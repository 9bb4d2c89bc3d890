"""Rollup tables kept by Celery after each transition and rebuilt in full (the statistics issue)."""

__all__ = []
