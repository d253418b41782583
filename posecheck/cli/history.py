"""`posecheck history`: the sessions kept in the history database, one in full, deleting one,
and the trends day by day."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posecheck.cli.common import local_time, printable, seconds
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
    history.add_argument("--json", action="store_true", help="print JSON (any action)")
    history.add_argument("--limit", type=int, default=20, metavar="N", help="newest N (20)")
    history.set_defaults(run=run_list)
    actions = history.add_subparsers(dest="action", metavar="ACTION")
    show = actions.add_parser("show", help="one session in full", description="Show a session.")
    show.add_argument("id", type=int, metavar="ID")
    _json_option(show, "print the session as JSON")
    show.set_defaults(run=run_show)
    delete = actions.add_parser(
        "delete", help="delete one session", description="Delete a session from the history."
    )
    delete.add_argument("id", type=int, metavar="ID")
    _json_option(delete, "print what was deleted as JSON")
    delete.set_defaults(run=run_delete)
    imports = actions.add_parser(
        "import",
        help="add a saved review summary (review --json OUT) to the history",
        description="Add the summary a review wrote with --json OUT (or a batch's "
        "--out-dir DIR/NAME.json) to the history: for a review that ran with --no-history or "
        "found the history locked. A summary already in the history is not added twice.",
    )
    imports.add_argument("summary", type=Path, metavar="SUMMARY.json")
    _json_option(imports, "print the new session ids as JSON")
    imports.set_defaults(run=run_import)
    trends = actions.add_parser(
        "trends",
        help="hold time per stretch per day, share of time slouched per day",
        description="Day by day (local time): seconds held in good form per stretch, and the "
        "share of judged sitting time spent in bad posture.",
    )
    _json_option(trends, "print the trends as JSON")
    trends.set_defaults(run=run_trends)


def _json_option(parser: argparse.ArgumentParser, text: str) -> None:
    """--json after the action (`history show 2 --json`); SUPPRESS keeps the value given before
    it (`history --json show 2`) instead of resetting it to False."""
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=text)


def _session_id(value: int) -> int:
    """Ids are SQLite integers; anything larger cannot be one (and is no session)."""
    from posecheck.store import SQLITE_MAX_INT

    if not 0 < value <= SQLITE_MAX_INT:
        raise InputError(
            f"There is no session {value} in the history; `posecheck history` lists them."
        )
    return value


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
    from posecheck.store import SQLITE_MAX_INT, open_store

    if not 0 <= args.limit <= SQLITE_MAX_INT:
        raise InputError(
            f"--limit must be a whole number from 0 to {SQLITE_MAX_INT}; leave it out for "
            "the newest 20."
        )
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
        # A file name may hold a newline or an escape sequence: shown escaped, one row each.
        video = f"  {printable(Path(r.video).name)}" if r.video else ""
        what = printable(what)
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

    _session_id(args.id)
    with open_store() as store:
        record = _get_session(store, args.id)
    if args.json:
        print(json.dumps(_session_json(record, full=True)))
        return 0
    what = f"{record.stretch_id} stretch" if record.kind == "stretch" else "desk posture"
    what = printable(what)
    source = f" of {printable(record.video)}" if record.video else ""
    print(f"Session {record.id}: {what}, {record.source}{source}, "
          f"started {local_time(record.started_at)}")  # fmt: skip
    subject = record.stretch_id if record.kind == "stretch" else "desk posture"
    print_summary(Path(record.video or "session"), str(subject), record.summary, None)
    return 0


def run_delete(args: argparse.Namespace) -> int:
    from posecheck.store import open_store

    _session_id(args.id)
    with open_store() as store:
        if not store.delete_session(args.id):
            raise InputError(
                f"There is no session {args.id} in the history; `posecheck history` lists them."
            )
    if args.json:
        print(json.dumps({"deleted": args.id}))
    else:
        print(f"Deleted session {args.id}.")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from posecheck.history import import_summary
    from posecheck.inputs import check_regular, read_json

    path: Path = args.summary
    info = check_regular(path, "review summary")
    data = read_json(path, "review summary")
    # A batch's summaries do not say when the review ran; the file was written as it ended.
    written = datetime.fromtimestamp(info.st_mtime, UTC)
    done = import_summary(data, printable(path), started_at=written)
    if args.json:
        print(json.dumps({"sessions": [
            {"id": d.session_id, "added": d.added, "kind": d.record.kind,
             "stretch_id": d.record.stretch_id, "video": d.record.video}
            for d in done
        ]}))  # fmt: skip
        return 0
    for d in done:
        what = d.record.stretch_id if d.record.kind == "stretch" else "desk posture"
        video = f" of {printable(Path(d.record.video).name)}" if d.record.video else ""
        if d.added:
            print(f"Added session {d.session_id}: {printable(what)}{video}.")
        else:
            print(f"Already in the history as session {d.session_id}: "
                  f"{printable(what)}{video}; not added again.")  # fmt: skip
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
            print(f"  {d.day.isoformat()}  {printable(d.stretch_id):<22} {seconds(d.hold_s):>9}  "
                  f"({d.sessions} session(s))")  # fmt: skip
    if trends.posture:
        print("Share of time slouched, per day:")
        for p in trends.posture:
            share = "-" if p.slouch_share is None else f"{p.slouch_share:.0%}"
            print(f"  {p.day.isoformat()}  {share:>5}  (bad {seconds(p.bad_s)} of "
                  f"{seconds(p.good_s + p.bad_s)}, {p.sessions} session(s))")  # fmt: skip
    return 0
