"""Metrics used mainly by the supine stretches (registered on import; see body.py for conventions)."""

from __future__ import annotations
