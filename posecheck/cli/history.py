"""`posecheck history`: the sessions kept in the history database, one in full, deleting one,
and the trends day by day."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posecheck.cli.common import local_time, seconds
from posecheck.cli.review import print_summary
from posecheck.errors import InputError

if TYPE_CHECKING:
    from posecheck.store import SessionRecord, Store


def register(commands: Any) -> None:
    history = commands.add_parser(
        "history",
        help="list, show, delete past sessions and their trends",
        description="The session history: every live or reviewed session. Without an action, "
        "the newest sessions. Kept in $POSECHECK_DATA_DIR/history.sqlite3 (default: "
        "~/.local/share/posecheck).",
    )
    history.add_argument("--json", action="store_true", help="print the list as JSON")
    history.add_argument("--limit", type=int, default=20, metavar="N", help="newest N (20)")
    history.set_defaults(run=run_list)
    actions = history.add_subparsers(dest="action", metavar="ACTION")
    show = actions.add_parser("show", help="one session in full", description="Show a session.")
    show.add_argument("id", type=int, metavar="ID")
    show.add_argument("--json", action="store_true", help="print the session as JSON")
    show.set_defaults(run=run_show)
    delete = actions.add_parser(
        "delete", help="delete one session", description="Delete a session from the history."
    )
    delete.add_argument("id", type=int, metavar="ID")
    delete.set_defaults(run=run_delete)
    trends = actions.add_parser(
        "trends",
        help="hold time per stretch per day, share of time slouched per day",
        description="Day by day (local time): seconds held in good form per stretch, and the "
        "share of judged sitting time spent in bad posture.",
    )
    trends.add_argument("--json", action="store_true", help="print the trends as JSON")
    trends.set_defaults(run=run_trends)


def _session_json(record: SessionRecord, *, full: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": record.id,
        "kind": record.kind,
        "stretch_id": record.stretch_id,
        "side": record.side,
        "source": record.source,
        "video": record.video,
        "started_at": record.started_at.isoformat(),
        "duration_s": round(record.duration_s, 3),
        "good_s": record.good_s,
        "bad_s": record.bad_s,
        "reps": record.reps,
    }
    if full:
        data["summary"] = record.summary.to_json()
        data["segments"] = [
            {"start_s": s.start_s, "end_s": s.end_s, "phase": s.label} for s in record.segments
        ]
    return data


def run_list(args: argparse.Namespace) -> int:
    from posecheck.store import open_store

    if args.limit < 0:
        raise InputError("--limit must be 0 or more.")
    with open_store() as store:
        records = store.list_sessions(limit=args.limit)
    if args.json:
        print(json.dumps({"sessions": [_session_json(r, full=False) for r in records]}))
        return 0
    if not records:
        print("The history is empty: review a video or finish a live session to add one.")
        return 0
    print(f"{'id':>5}  {'started':<16}  {'what':<22}  {'source':<6}  {'time':>8}  "
          f"{'good':>8}  result")  # fmt: skip
    for r in records:
        what = "desk posture"
        if r.kind == "stretch":
            what = f"{r.stretch_id}" + (f" ({r.side})" if r.side else "")
        if r.kind == "posture":
            result = f"bad {seconds(r.bad_s)}"
        else:
            result = f"reps {r.reps}" if r.reps else ""
        video = f"  {Path(r.video).name}" if r.video else ""
        print(f"{r.id:>5}  {local_time(r.started_at):<16}  {what:<22}  {r.source:<6}  "
              f"{seconds(r.duration_s):>8}  {seconds(r.good_s):>8}  {result}{video}")
    return 0


def _get_session(store: Store, session_id: int) -> SessionRecord:
    record = store.get_session(session_id)
    if record is None:
        raise InputError(
            f"There is no session {session_id} in the history; `posecheck history` lists them."
        )
    return record


def run_show(args: argparse.Namespace) -> int:
    from posecheck.store import open_store

    with open_store() as store:
        record = _get_session(store, args.id)
    if args.json:
        print(json.dumps(_session_json(record, full=True)))
        return 0
    what = f"{record.stretch_id} stretch" if record.kind == "stretch" else "desk posture"
    source = f" of {record.video}" if record.video else ""
    print(f"Session {record.id}: {what}, {record.source}{source}, "
          f"started {local_time(record.started_at)}")  # fmt: skip
    subject = record.stretch_id if record.kind == "stretch" else "desk posture"
    print_summary(Path(record.video or "session"), str(subject), record.summary, None)
    return 0


def run_delete(args: argparse.Namespace) -> int:
    from posecheck.store import open_store

    with open_store() as store:
        if not store.delete_session(args.id):
            raise InputError(
                f"There is no session {args.id} in the history; `posecheck history` lists them."
            )
    print(f"Deleted session {args.id}.")
    return 0


def run_trends(args: argparse.Namespace) -> int:
    from posecheck.store import open_store

    with open_store() as store:
        trends = store.trends(local_days=True)
    stretches = [
        {"day": d.day.isoformat(), "stretch_id": d.stretch_id, "hold_s": round(d.hold_s, 2),
         "sessions": d.sessions}
        for d in trends.stretches
    ]  # fmt: skip
    posture: list[dict[str, Any]] = [
        {"day": d.day.isoformat(), "good_s": round(d.good_s, 2), "bad_s": round(d.bad_s, 2),
         "slouch_share": None if d.slouch_share is None else round(d.slouch_share, 4),
         "sessions": d.sessions}
        for d in trends.posture
    ]  # fmt: skip
    if args.json:
        print(json.dumps({"stretches": stretches, "posture": posture}))
        return 0
    if not stretches and not posture:
        print("No sessions yet: the trends fill in as you stretch and sit.")
        return 0
    if trends.stretches:
        print("Hold time in good form, per stretch per day:")
        for d in trends.stretches:
            print(f"  {d.day.isoformat()}  {d.stretch_id:<22} {seconds(d.hold_s):>9}  "
                  f"({d.sessions} session(s))")  # fmt: skip
    if trends.posture:
        print("Share of time slouched, per day:")
        for p in trends.posture:
            share = "-" if p.slouch_share is None else f"{p.slouch_share:.0%}"
            print(f"  {p.day.isoformat()}  {share:>5}  (bad {seconds(p.bad_s)} of "
                  f"{seconds(p.good_s + p.bad_s)}, {p.sessions} session(s))")  # fmt: skip
    return 0
