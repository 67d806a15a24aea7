"""Fixtures for configuration tests (defined in hallfiles.py, which tests also import)."""

from .hallfiles import hall_dir

__all__ = ["hall_dir"]
