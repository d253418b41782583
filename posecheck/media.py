"""Where the shared test media lives: `../shared/media` beside the project, or $POSECHECK_MEDIA.

Used by tests, benchmarks and the fixture scripts; the media itself never enters the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

from posecheck.settings import PROJECT_ROOT

MEDIA_ENV = "POSECHECK_MEDIA"


def media_dir() -> Path:
    """The shared media folder (it may not exist on a user's machine)."""
    override = os.environ.get(MEDIA_ENV)
    return Path(override).expanduser() if override else PROJECT_ROOT.parent / "shared" / "media"
