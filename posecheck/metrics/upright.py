"""Metrics used mainly by the upright stretches (registered on import; see body.py for conventions)."""

from __future__ import annotations
