"""Metrics used mainly by the floor stretches (registered on import; conventions: body.py)."""

from __future__ import annotations
