"""Coach page: pick a stretch, place the camera, then live feedback from the browser's camera."""

from __future__ import annotations

import json

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from posecheck.coach import CheckState, FrameResult, Phase, RepResult
from posecheck.limits import Status
from posecheck.metrics import get_metric
from posecheck.overlay import CoachAnnotator, reference_figure
from posecheck.recap import HoldRuns, StretchRecap, clock, finish_stretch
from posecheck.review import StretchReview
from posecheck.specs import StretchSpec, catalog
from posecheck.stream import (
    MODEL_STATUS,
    Image,
    PageLink,
    StreamHolder,
    WarmLandmarkers,
    page_stream,
    rtc_configuration,
    shared_landmarkers,
    starting_status,
)
from posecheck.temporal import RepStage

# Colour names are Streamlit markdown colours; no emoji, which many systems cannot draw.
PHASE_LABEL = {
    Phase.NO_PERSON: ":gray[Nobody in view]",
    Phase.SETTING_UP: ":gray[Setting up]",
    Phase.IN_POSITION: ":orange[In position: adjust]",
    Phase.HOLDING: ":green[Holding]",
    Phase.REP: ":blue[Rep under way]",
    Phase.BETWEEN_REPS: ":blue[Between reps]",
    Phase.DONE: ":green[Done]",
}
STATUS_LABEL = {Status.OK: "ok", Status.ADJUST: "adjust", Status.UNKNOWN: "can't see"}
#: The checks table's status column: what a value means, never "ok" outside its target.
STATE_LABEL = {
    CheckState.OK: "ok",
    CheckState.ADJUST: "adjust",
    CheckState.AT_LIMIT: "at the limit",
    CheckState.HIDDEN: "can't see",
    CheckState.OTHER_VIEW: "other view",
    CheckState.NOT_JUDGED: "not judged yet",
}

specs = catalog()
st.title("Stretch coach")

routine = st.session_state.get("routine") or []
ids = list(specs)
default = ids.index(routine[0]) if routine and routine[0] in ids else 0
stretch_id = st.selectbox(
    "Stretch", ids, index=default, format_func=lambda i: specs[i].name, key="coach_stretch"
)
spec = specs[stretch_id]
side: str | None = None
if spec.sided:
    choice = st.radio(
        "Side being stretched",
        ["detect", "left", "right"],
        horizontal=True,
        key="coach_side",
        help="'detect' works the side out from your pose; choose one to keep the timer on it.",
    )
    side = None if choice == "detect" else choice
if routine:
    st.info("Stretch break: " + ", then ".join(specs[r].name for r in routine if r in specs))

guide, live = st.columns([1, 2])
with guide:
    st.subheader("Set up")
    figure = reference_figure(spec.id)
    if figure is not None:
        st.image(figure, caption="The target pose, as the camera should see it", width=220)
    st.markdown(f"**Camera.** {spec.camera}")
    st.markdown("\n".join(f"{i}. {step}" for i, step in enumerate(spec.setup, 1)))
    goal = spec.goal[0].upper() + spec.goal[1:]
    how = {
        "hold": "The timer only counts time in good form.",
        "reps": "Each rep is judged the moment it reaches its end: no need to pause.",
    }.get(spec.mode, "Each rep is judged as it reaches its end; the timer counts a hold in "
          "good form.")  # fmt: skip
    st.markdown(f"**Goal.** {goal}. {how}")
    if spec.limitations:
        st.caption(f"What the camera can't see: {spec.limitations}")


class CoachLink(PageLink[StretchReview, FrameResult, StretchRecap]):
    """The Coach page's engine per stream: a coach plus its session recorder and the record of
    its good-form runs; saved to the history when the stream ends, however far it got."""

    def __init__(self, spec: StretchSpec, side: str | None) -> None:
        super().__init__()
        self.spec, self.side = spec, side
        self.runs = HoldRuns()

    def new_engine(self) -> StretchReview:
        self.runs = HoldRuns()
        return StretchReview(self.spec, self.side)

    def seen(self, result: FrameResult) -> None:
        self.runs.update(result.form_ok, result.t_s, result.side or "")

    def annotate(self, frame: Image, result: FrameResult) -> Image:
        return ANNOTATOR.annotate(frame, result)

    def finish(self, engine: StretchReview) -> StretchRecap | None:
        if engine.recorder.frames == 0:
            return None
        return finish_stretch(
            engine.summary(), self.spec.name, hold_target_s=self.spec.hold_s,
            reps_target=self.spec.reps.target if self.spec.reps else 0,
            best_hold_s=self.runs.best_s, side=self.side,
        )  # fmt: skip


HISTORY_PAGE = "app_pages/history.py"


def _history_link(session_id: int | None, label: str) -> None:
    if session_id is not None:
        st.page_link(HISTORY_PAGE, label=label, icon=":material/history:",
                     query_params={"session": str(session_id)})  # fmt: skip


def recap_card(recap: StretchRecap, spec: StretchSpec) -> None:
    """What the session just done was, in place of the live panel once the stream ends."""
    (st.success if recap.saved else st.warning)(recap.message, icon=":material/history:")
    s = recap.summary
    if all(seg.label == Phase.NO_PERSON.value for seg in s.segments):
        st.info("Press START to try again.")
        return
    before = recap.previous.summary if recap.previous is not None else None
    with st.container(border=True, key="coach_recap"):
        st.markdown(f"#### What you just did: {recap.name}")
        cols = st.columns(4)
        cols[0].metric("Time", clock(s.duration_s))
        held_delta = None if before is None else f"{s.good_form_s - before.good_form_s:+.0f} s"
        cols[1].metric("Held in good form", clock(s.good_form_s), delta=held_delta,
                       help="Only time in good form counts.")  # fmt: skip
        cols[2].metric("Best hold", clock(recap.best_hold_s),
                       help="The longest unbroken time in good form.")  # fmt: skip
        if spec.reps is not None:
            reps_delta = None if before is None else f"{(s.reps or 0) - (before.reps or 0):+d}"
            cols[3].metric("Reps", f"{s.reps or 0} of {spec.reps.target}", delta=reps_delta)
        elif spec.hold_s:
            cols[3].metric("Goal", "reached" if s.done else "not yet",
                           help=f"Hold {spec.hold_s:g} s in good form.")  # fmt: skip
        if spec.sided and s.good_form_by_side:
            sides = ", ".join(
                f"{side} {clock(v)}" for side, v in sorted(s.good_form_by_side.items()) if side
            )
            st.caption(f"Held in good form per side: {sides}.")
        if s.reps_detail:
            st.table([
                {"rep": r.number,
                 "ended at": "" if r.end_s is None else f"{r.end_s:.1f} s",
                 "verdict": "good form" if r.form_ok else "adjust"}
                for r in s.reps_detail
            ])  # fmt: skip
        if recap.previous is not None and before is not None:
            when = recap.previous.started_at.astimezone().strftime("%a %d %b, %H:%M")
            if recap.previous.side:
                when += f", {recap.previous.side} side"
            parts = [f"{clock(before.good_form_s)} held in good form"]
            if spec.reps is not None:
                parts.append(f"{before.reps or 0} reps")
            st.markdown(
                f"**Compared with your last {recap.name} session** ({when}): "
                + ", ".join(parts) + " then; the changes are under the numbers above."
            )
            _history_link(recap.previous.id, "Details of that session")
        elif recap.saved:
            st.caption(
                f"Your first {recap.name} session in the history: the next one will be "
                "compared with it."
            )
        _history_link(recap.session_id, "This session in your history")
    st.caption("Press START for another round.")


def not_live(holder: StreamHolder[FrameResult], playing: bool, signalling: bool,
             landmarkers: WarmLandmarkers) -> None:  # fmt: skip
    """What is happening before the first result: the camera connecting, the model loading."""
    status = starting_status(
        ending=link.ending, session=holder.live, playing=playing,
        signalling=signalling,
    )  # fmt: skip
    if status is not None:
        st.info(status, icon=":material/hourglass_top:")
        return
    st.info("Press START and allow the camera. Frames stay on this computer.")
    if landmarkers.state == "failed":
        st.error(f"The pose model could not be loaded: {landmarkers.error}")
    elif landmarkers.state in MODEL_STATUS:
        st.caption(MODEL_STATUS[landmarkers.state])


ANNOTATOR = CoachAnnotator()

# One engine per browser session and per stretch/side choice; a landmarker per stream, loaded
# ahead of time while the person reads the set-up steps.
landmarkers = shared_landmarkers()
holder, link = page_stream(
    st.session_state, "coach", f"coach-{spec.id}-{side or 'both'}", lambda: CoachLink(spec, side),
    landmarkers=landmarkers,
)
key = st.session_state["coach_key"]

with live:
    ctx = webrtc_streamer(
        key=key,
        mode=WebRtcMode.SENDRECV,
        rtc_configuration=rtc_configuration(),
        media_stream_constraints={
            "video": {"width": 640, "height": 480, "frameRate": 30},
            "audio": False,
        },
        queued_video_frames_callback=holder.recv_queued,
        on_video_ended=holder.ended,
        async_processing=True,
    )
    speak = st.toggle("Speak cues aloud", key="coach_speak")
playing, signalling = bool(ctx.state.playing), bool(ctx.state.signalling)
if not (playing or signalling):
    # Never while a stream starts or runs: loading would compete with it for the cores.
    landmarkers.prime()


@st.fragment(run_every=0.5)
def feedback() -> None:
    if holder.error:
        st.error(holder.error)
        return
    session = holder.session
    result = link.latest()
    if result is None:
        if link.outcome is not None and not (link.ending or playing or signalling):
            recap_card(link.outcome, spec)
        else:
            not_live(holder, playing, signalling, landmarkers)
        return
    st.markdown(f"### {heading(spec, result)}")
    if result.view_note:
        st.info(result.view_note, icon=":material/videocam:")
    if result.cue:
        st.markdown(f"## {result.cue}")
    if result.reps_target:
        good = sum(r.form_ok for r in result.rep_log)
        st.progress(
            min(1.0, result.reps / result.reps_target),
            text=f"Reps: {result.reps} of {result.reps_target}"
            + (f" ({good} good)" if result.rep_log else ""),
        )
        if result.rep_log:
            st.markdown("Rep marks: " + " ".join(rep_mark(r) for r in result.rep_log))
    if result.hold_target_s:
        st.progress(
            min(1.0, result.hold_s / result.hold_target_s),
            text=f"Held in good form: {result.hold_s:.0f} of {result.hold_target_s:g} s"
            + (f" ({result.side} side)" if result.side else ""),
        )
    checks_table(spec, result)
    if result.others_present:
        st.warning("Someone else is in view: posecheck follows the person it found first.")
    stats = session.stats() if session is not None else None
    if stats is not None:
        st.caption(
            f"{stats.fps:.0f} frames/s processed, {stats.callback_ms:.0f} ms per frame, "
            f"{stats.dropped} dropped to keep up"
        )
    if speak and result.cue and st.session_state.get("spoken_cue") != result.cue:
        st.session_state["spoken_cue"] = result.cue
        utterance = json.dumps(result.cue)
        st.html(
            f"<script>speechSynthesis.speak(new SpeechSynthesisUtterance({utterance}))</script>",
            unsafe_allow_javascript=True,
        )


def heading(spec: StretchSpec, result: FrameResult) -> str:
    """The phase line; during a rep, which part of it ("Going down", "At the bottom")."""
    if result.phase is Phase.REP and spec.reps is not None and result.rep_stage is not None:
        names = spec.reps.phase_names
        part = {RepStage.OUT: names[0], RepStage.END: names[1], RepStage.BACK: names[2]}
        return f":blue[{part.get(result.rep_stage, names[1])}]"
    return PHASE_LABEL[result.phase]


def rep_mark(rep: RepResult) -> str:
    """A rep's mark: a green dot when it was good, orange when an advisory check was out,
    a red cross when a required check was (no emoji: many systems cannot draw them)."""
    if not rep.form_ok:
        return ":red[✕]"
    return ":orange[●]" if rep.fault else ":green[●]"


def checks_table(spec: StretchSpec, result: FrameResult) -> None:
    """The checks: during a set of reps, the last rep as judged at its end range (the value
    and the status from the same computation); otherwise this frame's values and what they
    mean ("not judged yet" before the person is in position, "can't see" only for a hidden
    landmark, "other view" for a check this camera angle cannot judge)."""
    rep = result.rows_from_rep
    rows = []
    if rep is not None and spec.reps is not None:
        where = spec.reps.phase_names[1].lower()
        st.caption(f"Rep {rep.number}, as judged {where}:")
    column = "value" if rep is not None else "now"
    for row in rep.rows if rep is not None else result.rows:
        unit = get_metric(row.check.metric).unit
        rows.append({
            "check": row.check.id,
            column: "" if row.value is None else unit.text(row.value),
            "target": row.check.target.describe(unit, words=True),
            "status": STATE_LABEL[row.state],
        })  # fmt: skip
    if rows:
        st.table(rows)


with live:
    feedback()
