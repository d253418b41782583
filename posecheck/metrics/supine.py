"""Metrics used mainly by the supine stretches (registered on import; conventions: body.py)."""

from __future__ import annotations
