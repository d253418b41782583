"""`posecheck cache`: the stored landmark streams of reviewed videos (what makes reviewing a
video again skip the model): list them, or clear them all."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from posecheck.cli.common import local_time


def register(commands: Any) -> None:
    cache = commands.add_parser(
        "cache",
        help="list or clear the stored landmarks of reviewed videos",
        description="Every review keeps the landmarks the model found in the video, so that\n"
        "reviewing the same file again (another stretch, an edited spec, --posture) skips the\n"
        "model. They live in $POSECHECK_DATA_DIR/landmarks, capped by $POSECHECK_CACHE_MB\n"
        "(500 by default; the least recently used go first).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cache.add_argument("action", nargs="?", choices=("list", "clear"), default="list")
    cache.add_argument("--json", action="store_true", help="print one JSON object")
    cache.set_defaults(run=run_cache)


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):.1f} MB"


def run_cache(args: argparse.Namespace) -> int:
    from posecheck.review.cache import LandmarkCache

    cache = LandmarkCache.default()
    if args.action == "clear":
        removed, size = cache.clear()
        if args.json:
            print(json.dumps({"removed": removed, "bytes": size}))
        else:
            print(f"Removed {removed} stored landmark stream(s), {_megabytes(size)}.")
        return 0
    entries = cache.entries()
    total = sum(e.size for e in entries)
    if args.json:
        print(json.dumps({
            "folder": str(cache.folder), "bytes": total, "cap_bytes": cache.cap_bytes,
            "entries": [
                {"source": e.source, "frames": e.frames, "bytes": e.size,
                 "used": datetime.fromtimestamp(e.used, UTC).isoformat()}
                for e in entries
            ],
        }))  # fmt: skip
        return 0
    if not entries:
        print(f"No stored landmarks in {cache.folder}.")
        return 0
    width = max(len(e.source) for e in entries)
    print(f"{'video':<{width}}  {'frames':>7}  {'size':>9}  last used")
    for e in entries:
        used = local_time(datetime.fromtimestamp(e.used, UTC))
        print(f"{e.source:<{width}}  {e.frames:>7}  {_megabytes(e.size):>9}  {used}")
    print(f"{len(entries)} stream(s), {_megabytes(total)} of {_megabytes(cache.cap_bytes)} "
          f"in {cache.folder}")  # fmt: skip
    return 0
