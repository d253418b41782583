"""Metrics used mainly by the upright stretches (registered on import; conventions: body.py)."""

from __future__ import annotations
