"""Annual reports of generators and facilities (the statistics issue)."""

__all__ = []
