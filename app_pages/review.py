"""Review page: a recorded video in; the summary, each checked angle over time against its target
band with the phases marked, the annotated video, fault thumbnails and CSV/JSON downloads out.

The upload is written to a temporary folder for the review (the user asked for this processing)
and the folder is deleted as soon as the results are in memory. The charts are drawn from the
engine's own per-frame results, gathered while the review runs.

Long recordings and whole folders are reviewed by their path on this computer instead: streamed
from disk by the command line's batch engine on a thread of its own, with progress, a cancel
button and a table of results, each saved to the history. Who may name which paths is decided
by posecheck.file_access (anywhere for the person at this computer; only the folders listed in
the app's settings when the app is served to other computers).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import altair as alt
import streamlit as st

from posecheck.errors import PosecheckError
from posecheck.file_access import (
    AppSettings,
    PathAccess,
    load_settings,
    parse_folders,
    save_settings,
    settings_path,
)
from posecheck.history import save_routine, save_session
from posecheck.limits import Range, Unit
from posecheck.metrics import get_metric
from posecheck.profiles import list_profiles, load_profile
from posecheck.recap import clock
from posecheck.review import PostureReview, ReviewOutputs, RoutineReview, StretchReview, review
from posecheck.review.background import BackgroundBatch, BatchSnapshot
from posecheck.review.batch import CANCELLED, EngineFactory
from posecheck.session import SessionSummary
from posecheck.specs import catalog
from posecheck.video import VIDEO_TYPES

#: Background colours of the phases (stretch) and statuses (desk posture) on the charts.
#: Not green: green is the target band drawn over them.
PHASE_COLOURS = {
    "no person": "#bdbdbd",
    "setting up": "#c6dbef",
    "in position": "#fdd0a2",
    "holding": "#bcbddc",
    "done": "#9e9ac8",
    "rep": "#9ecae1",
    "between reps": "#deebf7",
    "good": "#c6dbef",
    "bad": "#fcbba1",
    "away": "#bdbdbd",
    "unknown": "#e0e0e0",
}

#: measure -> its (time, value) points over the video.
Series = dict[str, list[dict[str, float]]]


@dataclass
class Band:
    """A measure to chart: its name, title, unit and the range where it is ok."""

    column: str
    title: str
    unit: Unit
    target: Range


@dataclass
class Outcome:
    """One finished review, kept in memory so reruns (downloads, widgets) do not redo it."""

    job: tuple[Any, ...]
    name: str
    kind: str
    summary: SessionSummary
    series: Series
    csv: bytes
    video: bytes | None
    thumbnails: dict[str, bytes]
    bands: list[Band]
    saved: tuple[bool, str]


def _run(
    job: tuple[Any, ...],
    name: str,
    data: bytes,
    engine: StretchReview | PostureReview | RoutineReview,
    side: str | None,
) -> Outcome | str:
    """Review the upload; returns the outcome, or the sentence saying why it could not."""
    bar = st.progress(0.0, text="Starting the review…")

    def progress(done: int, total: int | None) -> None:
        if done % 10 and done != total:
            return
        if total:
            bar.progress(min(1.0, done / total), text=f"Reviewing frame {done} of {total}")
        else:
            bar.progress(0.0, text=f"Reviewing frame {done}")

    series: Series = {}

    def observe(t_s: float, result: Any) -> None:
        for measure, value in engine.series(result).items():
            if value is not None:
                series.setdefault(measure, []).append({"t_s": t_s, "value": value})

    with tempfile.TemporaryDirectory(prefix="posecheck-review-") as tmp:
        folder = Path(tmp)
        source = folder / f"upload{Path(name).suffix.lower()}"
        source.write_bytes(data)
        outputs = ReviewOutputs(
            video=folder / "annotated.mp4", csv=folder / "frames.csv", thumbnails=folder / "faults"
        )
        try:
            result = review(source, engine, outputs, progress=progress, observe=observe)
        except PosecheckError as error:
            bar.empty()
            return str(error).replace(str(source), name)
        csv_bytes = outputs.csv.read_bytes() if outputs.csv and outputs.csv.is_file() else b""
        video = outputs.video.read_bytes() if outputs.video and outputs.video.is_file() else None
        thumbnails = {fault: p.read_bytes() for fault, p in result.fault_thumbnails.items()}
    bar.empty()
    summary = result.summary
    if isinstance(engine, StretchReview):
        bands = [
            Band(c.id, c.description or c.id, get_metric(c.metric).unit, c.target)
            for c in engine.spec.checks
        ]
    elif isinstance(engine, PostureReview):
        bands = [
            Band(k, k.replace("_", " "), get_metric(b.metric).unit, b.target)
            for k, b in engine.bounds.items()
        ]
    if isinstance(engine, RoutineReview):
        bands = []
        saved = _save(lambda: save_routine(summary, source="review", video=name))
    else:
        saved = _save(lambda: save_session(summary, side=side, source="review", video=name))
    bands = [b for b in bands if series.get(b.column)]
    return Outcome(
        job, name, engine.kind, summary, series, csv_bytes, video, thumbnails, bands, saved
    )


def _save(save: Any) -> tuple[bool, str]:
    try:
        save()
    except PosecheckError as error:
        return False, f"Not saved to your history: {error}"
    return True, "Saved to your history."


def _chart(values: list[dict[str, float]], band: Band, summary: SessionSummary) -> alt.LayerChart:
    segments = [s.to_json() for s in summary.segments]
    low, high = band.target.min, band.target.max
    lo, hi = min(v["value"] for v in values), max(v["value"] for v in values)
    span = max(hi - lo, 10.0 if band.unit is Unit.DEG else 0.1)
    bottom = min(lo, low if low is not None else lo) - 0.1 * span
    top = max(hi, high if high is not None else hi) + 0.1 * span
    scale = alt.Scale(domain=[bottom, top], nice=False)
    unit = band.unit.symbol
    colours = {s["phase"]: PHASE_COLOURS.get(s["phase"], "#eeeeee") for s in segments}
    background = (
        alt.Chart(alt.InlineData(values=segments))
        .mark_rect(opacity=0.35)
        .encode(
            x=alt.X("start_s:Q", title="time (s)"),
            x2="end_s:Q",
            color=alt.Color(
                "phase:N",
                title="phase",
                scale=alt.Scale(domain=list(colours), range=list(colours.values())),
            ),
        )
    )
    target = {
        "low": low if low is not None else bottom,
        "high": high if high is not None else top,
    }
    ok_band = (
        alt.Chart(alt.InlineData(values=[target]))
        .mark_rect(color="#2ca02c", opacity=0.18, stroke="#2ca02c", strokeDash=[4, 3])
        .encode(y=alt.Y("low:Q", scale=scale), y2="high:Q")
    )
    line = (
        alt.Chart(alt.InlineData(values=values))
        .mark_line(color="#1f3b73", strokeWidth=2)
        .encode(
            x=alt.X("t_s:Q", title="time (s)"),
            y=alt.Y("value:Q", title=f"{band.column} ({unit or 'ratio'})", scale=scale),
            tooltip=[alt.Tooltip("t_s:Q", format=".1f"), alt.Tooltip("value:Q", format=".1f")],
        )
    )
    return alt.LayerChart(layer=[background, ok_band, line]).properties(height=220)


def _routine(s: SessionSummary) -> None:
    """A routine review: one row per stretch found, in time order, and the time unmatched."""
    assert s.routine is not None
    specs = catalog()
    cols = st.columns(4)
    cols[0].metric("Duration", f"{s.duration_s:.0f} s")
    cols[1].metric("Stretches found", len(s.routine))
    cols[2].metric("Held in good form", f"{s.good_form_s:.0f} s")
    cols[3].metric("No stretch", f"{s.unmatched_s:.0f} s")
    if not s.routine:
        st.info("No catalog stretch was held for a few seconds in this video.")
        return
    st.table([
        {
            "from": f"{e.start_s:.1f} s", "to": f"{e.end_s:.1f} s",
            "stretch": specs[e.stretch].name if e.stretch in specs else e.stretch,
            "side": e.side or "", "in position": f"{e.summary.in_position_s:.0f} s",
            "good form": f"{e.summary.good_form_s:.0f} s",
            "reps": (f"{e.summary.reps} ({sum(r.form_ok for r in e.summary.reps_detail)} good)"
                     if e.summary.reps else ""),
        }
        for e in s.routine
    ])  # fmt: skip
    for e in s.routine:
        if e.note:
            st.caption(f"{e.start_s:.1f}-{e.end_s:.1f} s could also be "
                       f"{', '.join(e.ambiguous_with)}: {e.note}")  # fmt: skip


def _reps(s: SessionSummary) -> None:
    """A moving stretch: each rep as judged at its end range."""
    st.caption("Each rep, as judged at the moment that matters:")
    st.table([
        {"rep": r.number, "start": f"{r.start_s:.1f} s", "judged at": f"{r.bottom_s:.1f} s",
         "verdict": "good" if r.form_ok else "fault",
         **{c.id: ("" if c.value is None else f"{c.value:.2f}") + f" {c.status.value}"
            for c in r.checks}}
        for r in s.reps_detail
    ])  # fmt: skip


def _summary(s: SessionSummary) -> None:
    if s.routine is not None:
        _routine(s)
        return
    people = s.review.person_frames if s.review is not None else 0
    cols = st.columns(5)
    cols[0].metric("Duration", f"{s.duration_s:.0f} s")
    if s.posture is None:
        cols[1].metric("In position", f"{s.in_position_s:.0f} s")
        cols[2].metric("Held in good form", f"{s.good_form_s:.0f} s")
        cols[3].metric("Reps", s.reps or 0)
        cols[4].metric("Frames with a person", f"{people} of {s.frames}")
        if s.reps_detail:
            _reps(s)
        if s.checks:
            st.caption("Share of in-position frames where each check was ok:")
            st.table(
                [
                    {"check": k, "ok": f"{100 * v.ok_fraction:.0f} %", "frames": v.frames}
                    for k, v in s.checks.items()
                ]
            )
    else:
        cols[1].metric("Good", f"{s.posture.good_s:.0f} s")
        cols[2].metric("Slouched", f"{s.posture.bad_s:.0f} s")
        cols[3].metric("Alerts", s.posture.alerts)
        cols[4].metric("Longest slouch", f"{s.posture.longest_bad_s:.0f} s")


def _show(outcome: Outcome) -> None:
    s = outcome.summary
    if s.warning:
        st.warning(s.warning)
    saved, message = outcome.saved
    (st.success if saved else st.warning)(message, icon=":material/history:")
    st.subheader("Summary")
    _summary(s)
    left, right = st.columns([3, 2])
    with left:
        if s.routine is not None:
            st.caption(
                "The annotated video names each stretch from the moment it is recognised "
                "(a couple of seconds after it starts); the table above dates each one back "
                "to its start."
            )
        else:
            st.subheader("Angles over time")
        if not outcome.bands and s.routine is None:
            st.info("No checked measure could be seen in this video.")
        for band in outcome.bands:
            about = f" {band.title}" if band.title != band.column else ""
            target = band.target.describe(band.unit, words=True)
            st.markdown(f"**{band.column}**: target {target} (green band).{about}")
            chart = _chart(outcome.series[band.column], band, s)
            st.altair_chart(chart, width="stretch")
    with right:
        st.subheader("Annotated video")
        if outcome.video is not None:
            st.video(outcome.video, format="video/mp4")
        faults = s.review.faults if s.review is not None else ()
        if faults:
            st.subheader("Worst moment of each fault")
            for fault in faults:
                image = outcome.thumbnails.get(fault.fault)
                if image is not None:
                    st.image(image, caption=f"{fault.fault} at {fault.t_s:.1f} s")
        st.subheader("Downloads")
        stem = Path(outcome.name).stem
        st.download_button(
            "Per-frame CSV", outcome.csv, file_name=f"{stem}-frames.csv", mime="text/csv",
            icon=":material/table:", on_click="ignore",
        )
        st.download_button(
            "Summary JSON", json.dumps(s.to_json(), indent=1), file_name=f"{stem}-summary.json",
            mime="application/json", icon=":material/data_object:", on_click="ignore",
        )
        if outcome.video is not None:
            st.download_button(
                "Annotated video (MP4)", outcome.video, file_name=f"{stem}-annotated.mp4",
                mime="video/mp4", icon=":material/movie:", on_click="ignore",
            )


def _access() -> PathAccess:
    """How far this visitor may reach into this computer's files (see posecheck.file_access)."""
    headers = {k.lower() for k in st.context.headers}
    forwarded = bool(headers & {"x-forwarded-for", "forwarded", "x-real-ip"})
    ip = st.context.ip_address
    try:
        settings = load_settings()
    except PosecheckError as error:
        st.warning(str(error))
        settings = AppSettings()
    return PathAccess.for_request(
        server_address=st.get_option("server.address"),
        client_ip=ip if isinstance(ip, str) else None,
        forwarded=forwarded,
        settings=settings,
    )


def _result_rows(snapshot: BatchSnapshot) -> list[dict[str, Any]]:
    """One row per recording, every row with the same columns: its numbers, what became of
    it, a link to its details in the history, and where it is."""
    posture = any(i.summary is not None and i.summary.posture is not None for i in snapshot.items)
    numbers = (["good", "slouched", "away", "alerts"] if posture
               else ["in position", "held in good form", "reps"])  # fmt: skip
    rows = []
    for item in snapshot.items:
        s = item.summary
        row: dict[str, Any] = {"recording": item.path.name, "length": None}
        row.update(dict.fromkeys(numbers))
        if s is not None:
            row["length"] = clock(s.duration_s)
            if s.posture is not None:
                row.update(good=clock(s.posture.good_s), slouched=clock(s.posture.bad_s),
                           away=clock(s.posture.away_s), alerts=s.posture.alerts)  # fmt: skip
            else:
                row.update({"in position": clock(s.in_position_s),
                            "held in good form": clock(s.good_form_s), "reps": s.reps or 0})
                if s.routine is not None:
                    names = catalog()
                    row["stretches"] = ", ".join(
                        names[e.stretch].name if e.stretch in names else e.stretch
                        for e in s.routine
                    ) or "none found"
        if item.error == CANCELLED:
            row["result"] = "cancelled"
        elif item.error is not None:
            # The row already names the file: say the rest.
            row["result"] = item.error.replace(str(item.path), item.path.name)
        else:
            row["result"] = item.warning or "done"
        session = snapshot.saved.get(item.path)
        row["details"] = f"history?session={session}" if session is not None else None
        row["folder"] = str(item.path.parent)
        rows.append(row)
    return rows


def _csv(rows: list[dict[str, Any]]) -> bytes:
    columns = list(dict.fromkeys(k for row in rows for k in row if k != "details"))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@st.fragment(run_every=0.5)
def _batch_panel() -> None:
    """The path review under way or just finished: progress, cancel, the results table."""
    job: BackgroundBatch | None = st.session_state.get("review_job")
    if job is None:
        return
    snap = job.snapshot()
    total = len(snap.videos)
    if snap.running:
        if snap.cancelled:
            text = "Cancelling…"
        elif snap.current is not None:
            frames = f"frame {snap.frames}" + (
                f" of {snap.frames_total}" if snap.frames_total else ""
            )
            text = f"Reviewing {snap.current.name} ({snap.finished + 1} of {total}): {frames}"
        else:
            text = f"Starting the review of {total} recording" + ("s" if total != 1 else "") + "…"
        st.progress(snap.fraction, text=text)
        st.button("Cancel", icon=":material/stop:", key="review_cancel", on_click=job.cancel,
                  disabled=snap.cancelled)  # fmt: skip
    elif snap.error is not None:
        st.error(snap.error)
    else:
        done = sum(item.summary is not None for item in snap.items)
        failed = sum(item.error not in (None, CANCELLED) for item in snap.items)
        sentence = f"Reviewed {done} of {total} recording" + ("s" if total != 1 else "")
        sentence += f" in {clock(snap.elapsed_s)}"
        if failed:
            sentence += f"; {failed} could not be reviewed (see the table)"
        if snap.cancelled:
            sentence += "; cancelled before the rest"
        saved = len(snap.saved)
        sentence += f". {saved} saved to your history." if saved else "."
        (st.warning if failed or snap.cancelled else st.success)(sentence)
    if snap.history_error is not None:
        st.warning(f"Not all reviews were saved to your history: {snap.history_error}")
    if len(snap.videos) == 1 and snap.items and snap.items[0].summary is not None:
        _summary(snap.items[0].summary)
    rows = _result_rows(snap)
    if rows:
        st.dataframe(
            rows, hide_index=True, width="stretch", key="review_results",
            column_config={"details": st.column_config.LinkColumn("details",
                                                                  display_text="open")},
        )  # fmt: skip
        if not snap.running:
            st.download_button("Results table (CSV)", _csv(rows), file_name="reviews.csv",
                               mime="text/csv", icon=":material/table:",
                               on_click="ignore")  # fmt: skip


def _by_path(access: PathAccess, make_engine: EngineFactory, side: str | None) -> None:
    """Review a file or folder on this computer by its path."""
    if access.roots is not None:
        st.caption("Served to other computers: this app may read only "
                   + ", ".join(str(r) for r in access.roots) + ".")  # fmt: skip
    text = st.text_input(
        "Path of a video, or of a folder of videos", key="review_path",
        placeholder="/home/me/Videos/session.mp4",
        help="Read straight from the disk, however long; a folder's videos (and its "
        "subfolders') are reviewed one after another.",
    )  # fmt: skip
    job: BackgroundBatch | None = st.session_state.get("review_job")
    running = job is not None and job.snapshot().running
    if st.button("Review", type="primary", icon=":material/play_arrow:", key="review_path_go",
                 disabled=running,
                 help="One review at a time: cancel or wait for the one under way."
                 if running else None):  # fmt: skip
        try:
            videos = access.videos(access.check(text))
        except PosecheckError as error:
            st.error(str(error))
        else:
            job = BackgroundBatch(videos, make_engine, side=side)
            job.start()
            st.session_state["review_job"] = job
    _batch_panel()


def _settings(access: PathAccess, editable: bool) -> None:
    """The folders visitors may review by path when the app is served to other computers."""
    with st.expander("Settings: folders other computers may review"):
        try:
            current = load_settings().allowed_folders
        except PosecheckError as error:
            st.error(str(error))
            current = ()
        st.caption(
            "When this app is served to other computers (see the README's remote set-up), "
            "visitors may review recordings by path only inside these folders; without any, "
            f"they can only upload. Kept in {settings_path()}."
        )
        if not editable:
            listed = ", ".join(str(f) for f in current) or "none"
            st.markdown(f"Allowed folders: {listed}.")
            st.caption("Only the person at this computer can change them.")
            return
        typed = st.text_area(
            "Allowed folders, one per line", value="\n".join(str(f) for f in current),
            key="review_allowed",
        )  # fmt: skip
        if st.button("Save the folders", key="review_allowed_save"):
            try:
                settings = parse_folders(typed)
                save_settings(settings)
            except PosecheckError as error:
                st.error(str(error))
            else:
                listed = ", ".join(str(f) for f in settings.allowed_folders) or "none"
                st.success(f"Saved. Folders other computers may review: {listed}.")


def review_page() -> None:
    st.title("Review a recording")
    st.write(
        "Upload a video of a stretch or of yourself at a desk, or name a long recording or a "
        "folder of them on this computer. Every frame is checked as in the live pages; you get "
        "the angles over time, an annotated video, the worst moment of each fault and the "
        "numbers to download. Videos stay on this computer; an upload's temporary copy is "
        "deleted after the review."
    )
    specs = catalog()
    kind = st.radio(
        "What the video shows", ["stretch", "whole routine", "desk posture"], horizontal=True,
        key="review_kind",
        help="'whole routine': several stretches one after another; each is found, timed and "
        "judged without naming it.",
    )  # fmt: skip
    side: str | None = None
    view: str | None = None
    profile: str | None = None
    options = st.columns(2)
    if kind == "stretch":
        stretch_id = options[0].selectbox(
            "Stretch", list(specs), format_func=lambda i: specs[i].name, key="review_stretch"
        )
        if specs[stretch_id].sided:
            choice = options[1].radio(
                "Side being stretched", ["detect", "left", "right"], horizontal=True,
                key="review_side",
            )
            side = None if choice == "detect" else choice
    elif kind == "whole routine":
        stretch_id = ""
        options[0].caption(
            "Each catalog stretch held for a few seconds (or repeated) is found and judged "
            "with its own checks, per side."
        )
    else:
        stretch_id = ""
        choice = options[0].radio(
            "Camera view", ["detect", "side", "front"], horizontal=True, key="review_view"
        )
        view = None if choice == "detect" else choice
        profiles = list_profiles()
        if profiles:
            picked = options[1].selectbox(
                "Judge against calibration", ["none", *profiles], key="review_profile"
            )
            profile = None if picked == "none" else picked
    access = _access()
    local = access.anywhere
    source = "upload"
    if access.offered:
        source = st.radio(
            "The video", ["upload", "path"], horizontal=True, key="review_source",
            format_func={"upload": "Upload (up to "
                         f"{st.get_option('server.maxUploadSize')} MB)",
                         "path": "A file or folder on this computer"}.get,
        )  # fmt: skip
    if source == "path":
        try:
            baseline = load_profile(profile) if profile else None
        except PosecheckError as error:
            st.error(str(error))
            return
        make_engine: EngineFactory
        if kind == "stretch":
            make_engine = partial(StretchReview, specs[stretch_id], side)
        elif kind == "whole routine":
            make_engine = RoutineReview
        else:
            make_engine = partial(PostureReview, baseline, view)
        _by_path(access, make_engine, side)
        _settings(access, editable=local)
        return
    _upload(kind, specs, stretch_id, side, view, profile)
    if local:
        _settings(access, editable=True)


def _upload(
    kind: str, specs: dict[str, Any], stretch_id: str, side: str | None, view: str | None,
    profile: str | None,
) -> None:  # fmt: skip
    """Review an uploaded video (kept in memory: for short clips)."""
    upload = st.file_uploader("Video", type=list(VIDEO_TYPES), key="review_upload")
    if upload is None:
        st.info("Choose a video to review: a side view works best.")
        return
    job = (upload.file_id, kind, stretch_id, side, view, profile)
    outcome = st.session_state.get("review_outcome")
    if outcome is None or outcome.job != job:
        if not st.button("Review the video", type="primary", icon=":material/play_arrow:",
                         key="review_go"):
            return
        engine: StretchReview | PostureReview | RoutineReview
        try:
            if kind == "stretch":
                engine = StretchReview(specs[stretch_id], side)
            elif kind == "whole routine":
                engine = RoutineReview()
            else:
                baseline = load_profile(profile) if profile else None
                engine = PostureReview(baseline, view)
        except PosecheckError as error:
            st.error(str(error))
            return
        result = _run(job, upload.name, upload.getvalue(), engine, side)
        if isinstance(result, str):
            st.error(result)
            return
        st.session_state["review_outcome"] = outcome = result
    _show(outcome)

review_page()
