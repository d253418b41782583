"""Errors a user can cause and fix: each carries one sentence meant for the user.

Front ends (CLI, app) print `str(error)` as it is; anything else escaping is a bug.
"""

from __future__ import annotations


class PosecheckError(Exception):
    """Base class: the message is a complete sentence addressed to the user."""


class ModelError(PosecheckError):
    """The pose model file is missing, damaged or not a pose landmarker bundle."""


class InputError(PosecheckError):
    """A file given by the user is missing, unreadable or not what was expected."""


class TimestampError(PosecheckError, ValueError):
    """VIDEO-mode frames must arrive with strictly increasing timestamps."""
