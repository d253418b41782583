"""Desk page: calibrate to your own upright posture, then live posture status from the browser's
camera, an audible alert when a slouch persists, running statistics and stretch-break prompts."""

from __future__ import annotations

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from posecheck.desk import (
    GOOD_CUE,
    Baseline,
    Boundary,
    CalibrationError,
    PostureResult,
    PostureStatus,
    assess,
    calibrate,
)
from posecheck.errors import PosecheckError
from posecheck.metrics import get_metric
from posecheck.overlay import PostureAnnotator
from posecheck.pose import Pose
from posecheck.profiles import DEFAULT_PROFILE, load_profile, profile_path, save_profile
from posecheck.recap import PostureRecap, clock, finish_posture
from posecheck.review import PostureReview
from posecheck.session import PostureTotals
from posecheck.specs import catalog
from posecheck.specs.desk import posture_spec
from posecheck.stream import (
    MODEL_STATUS,
    Image,
    PageLink,
    PoseTap,
    StreamHolder,
    WarmLandmarkers,
    page_stream,
    rtc_configuration,
    shared_landmarkers,
    starting_status,
)

STATUS_LABEL = {
    PostureStatus.GOOD: ":green[Good posture]",
    PostureStatus.BAD: ":red[Slouching]",
    PostureStatus.AWAY: ":gray[Away from the desk]",
    PostureStatus.UNKNOWN: ":gray[Can't judge right now]",
}
VIEWS = {"detect": None, "side": "side", "front": "front"}
#: A short beep (Web Audio API), played once per alert.
BEEP = """<script>
(() => {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  const ctx = new Ctx(), osc = ctx.createOscillator(), gain = ctx.createGain();
  osc.type = "sine"; osc.frequency.value = 880; gain.gain.value = 0.2;
  osc.connect(gain); gain.connect(ctx.destination);
  osc.start(); osc.stop(ctx.currentTime + 0.35);
})();
</script>"""


class DeskLink(PageLink[PostureReview, PostureResult, PostureRecap]):
    """The Desk page's monitor per stream, for one browser session, view and profile.

    Besides what `PageLink` shares, the page records a calibration through `tap` and hands a
    new baseline or a break over with `use_baseline` and `take_break` (applied before the next
    frame). Saved to the history when the stream ends.
    """

    def __init__(self, view: str | None, baseline: Baseline | None) -> None:
        super().__init__()
        self.view = view
        self.tap = PoseTap()
        self._baseline = baseline
        self._break = False
        self.heard_alerts = 0  # page side: alerts already sounded

    @property
    def baseline(self) -> Baseline | None:
        with self._lock:
            return self._baseline

    def use_baseline(self, baseline: Baseline) -> None:
        with self._lock:
            self._baseline = baseline

    def take_break(self) -> None:
        with self._lock:
            self._break = True

    def new_engine(self) -> PostureReview:
        self.heard_alerts = 0
        return PostureReview(self._baseline, self.view)

    def prepare(self, engine: PostureReview) -> None:
        engine.monitor.baseline = self._baseline
        if self._break:
            engine.monitor.take_break()
            self._break = False

    def observe(self, pose: Pose | None, t_s: float) -> None:
        self.tap.add(pose, t_s)

    def annotate(self, frame: Image, result: PostureResult) -> Image:
        return ANNOTATOR.annotate(frame, result)

    def finish(self, engine: PostureReview) -> PostureRecap | None:
        return finish_posture(engine.summary())


ANNOTATOR = PostureAnnotator(alert_after_s=posture_spec().settings.alert_after_s)


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def _boundary_rows(
    boundaries: dict[str, Boundary], metrics: dict[str, float | None]
) -> list[dict[str, str]]:
    rows = []
    for key, b in boundaries.items():
        unit = get_metric(b.metric).unit
        value = metrics.get(key)
        rows.append(
            {
                "measure": b.metric.replace("_", " "),
                # Not "-" for nothing: a lone dash renders as a Markdown bullet.
                "now": "not seen" if value is None else unit.text(value),
                "ok when": b.target.describe(unit, words=True, decimals=unit.decimals),
                "from": "your calibration" if b.reference == "baseline" else "general limit",
            }
        )
    return rows


def _stats(stats: PostureTotals) -> None:
    good, bad, away = st.columns(3)
    alerts, longest, _ = st.columns(3)
    good.metric("Good", _minutes(stats.good_s))
    bad.metric("Slouched", _minutes(stats.bad_s))
    away.metric("Away", _minutes(stats.away_s))
    alerts.metric("Alerts", stats.alerts)
    longest.metric("Longest slouch", f"{stats.longest_bad_s:.0f} s")


def recap_card(recap: PostureRecap) -> None:
    """The desk session just finished, in place of the live status once the stream ends."""
    (st.success if recap.saved else st.warning)(recap.message, icon=":material/history:")
    totals = recap.summary.posture
    if totals is None or recap.summary.in_position_s <= 0:
        st.info("Press START to monitor again.")
        return
    with st.container(border=True, key="desk_recap"):
        st.markdown("#### Your desk session")
        _stats(totals)
        share, earlier = recap.slouch_share, recap.earlier
        if share is not None and earlier is not None and earlier.slouch_share is not None:
            points = 100 * (share - earlier.slouch_share)
            label = recap.earlier_label
            st.metric(
                "Time slouched, share of judged time", f"{share:.0%}",
                delta=f"{points:+.0f} points against {label}", delta_color="inverse",
            )  # fmt: skip
            sessions = f"{earlier.sessions} session" + ("s" if earlier.sessions != 1 else "")
            st.caption(
                f"{label.capitalize() if label else ''}: {earlier.slouch_share:.0%} slouched "
                f"over {clock(earlier.good_s + earlier.bad_s)} judged ({sessions})."
            )
        elif share is not None:
            st.metric("Time slouched, share of judged time", f"{share:.0%}")
            st.caption("No earlier day of desk sessions to compare with yet.")
        if recap.session_id is not None:
            st.page_link("app_pages/history.py", label="This session in your history",
                         icon=":material/history:",
                         query_params={"session": str(recap.session_id)})  # fmt: skip
    st.caption("Press START to monitor again.")


def not_live(
    link: DeskLink, holder: StreamHolder[PostureResult], playing: bool, signalling: bool,
    landmarkers: WarmLandmarkers,
) -> None:  # fmt: skip
    """What is happening before the first result: the camera connecting, the model loading."""
    status = starting_status(
        ending=link.ending, session=holder.live, playing=playing,
        signalling=signalling,
    )  # fmt: skip
    if status is not None:
        st.info(status, icon=":material/hourglass_top:")
        return
    st.info("Press START and allow the camera.")
    if landmarkers.state == "failed":
        st.error(f"The pose model could not be loaded: {landmarkers.error}")
    elif landmarkers.state in MODEL_STATUS:
        st.caption(MODEL_STATUS[landmarkers.state])


def _finish_calibration(link: DeskLink, poses: list[Pose | None], profile: str) -> None:
    try:
        baseline = calibrate(poses, view=link.view, min_frames=5)
    except CalibrationError as error:
        st.session_state["desk_calibration"] = ("error", f"Calibration refused. {error}")
        return
    link.use_baseline(baseline)
    notes = " ".join(baseline.warnings)
    try:
        save_profile(profile, baseline)
    except PosecheckError as error:
        message = f"Calibrated for this session, but {error}"
        st.session_state["desk_calibration"] = ("warning", f"{message} {notes}".strip())
        return
    text = f"Calibrated ({baseline.view} view) and saved as camera profile '{profile}'."
    st.session_state["desk_calibration"] = ("warning" if notes else "success", f"{text} {notes}")


def _calibrating(link: DeskLink, elapsed: float, poses: list[Pose | None]) -> None:
    seconds = posture_spec().calibration.seconds
    st.markdown("### :blue[Calibrating: sit upright and still]")
    if not poses:
        st.info("Waiting for the camera: press START if it is not running.")
        return
    st.progress(min(1.0, elapsed / seconds), text=f"{max(0.0, seconds - elapsed):.0f} s to go")
    provisional = None
    if sum(p is not None for p in poses) >= 5:
        try:
            provisional = calibrate(poses, view=link.view)
        except CalibrationError:
            provisional = None
    judgement = assess(poses[-1], provisional, view=link.view)
    rows = _boundary_rows(judgement.boundaries, judgement.metrics)
    if rows:
        st.caption("The boundaries your calibration sets, as it forms:")
        st.table(rows)


def desk_page() -> None:
    st.title("Desk posture")
    spec = posture_spec()
    settings = spec.settings
    st.write(
        "Sit side-on to the camera for the most reliable judgement (a laptop camera in front "
        "works after calibrating). You are told when a slouch lasts "
        f"{settings.alert_after_s:g} s, and after {settings.break_after_min:g} minutes seated "
        "a stretch break is suggested. Frames stay on this computer."
    )
    top = st.columns([2, 2, 3])
    choice = top[0].radio(
        "Camera view",
        list(VIEWS),
        horizontal=True,
        key="desk_view",
        help="'detect' works the view out from your shoulders; choose one to fix it.",
    )
    profile = (
        top[1]
        .text_input(
            "Camera profile",
            value=DEFAULT_PROFILE,
            key="desk_profile",
            help="Your calibration is saved under this name: one per camera position.",
        )
        .strip()
        or DEFAULT_PROFILE
    )
    view = VIEWS[choice]

    baseline: Baseline | None = None
    try:
        if profile_path(profile).is_file():
            baseline = load_profile(profile)
    except PosecheckError as error:
        top[2].warning(str(error))

    key = f"desk-{choice}-{profile}"
    if st.session_state.get("desk_key") != key:
        st.session_state.pop("desk_calibration", None)
    landmarkers = shared_landmarkers()
    holder, link = page_stream(
        st.session_state, "desk", key, lambda: DeskLink(view, baseline), landmarkers=landmarkers
    )

    live, panel = st.columns([3, 2])
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
        label = "Recalibrate" if link.baseline is not None else "Calibrate"
        if st.button(
            label,
            icon=":material/straighten:",
            key="desk_calibrate",
            help=f"Sit upright and still for {spec.calibration.seconds:g} s while it records.",
        ):
            st.session_state.pop("desk_calibration", None)
            link.tap.start(spec.calibration.seconds)
        sound = st.toggle("Beep on alerts", value=True, key="desk_sound")
    playing, signalling = bool(ctx.state.playing), bool(ctx.state.signalling)
    if not (playing or signalling):
        landmarkers.prime()  # never while a stream starts or runs: it would compete with it

    @st.fragment(run_every=0.5)
    def status() -> None:
        if holder.error:
            st.error(holder.error)
            return
        poses = link.tap.take()
        if poses is not None:
            _finish_calibration(link, poses, profile)
            st.rerun(scope="app")  # the whole page: the button now says "Recalibrate"
        recording, elapsed, so_far = link.tap.progress()
        if recording:
            _calibrating(link, elapsed, so_far)
            return
        note = st.session_state.get("desk_calibration")
        if note is not None:
            kind, text = note
            {"error": st.error, "warning": st.warning, "success": st.success}[kind](text)
        current = link.baseline
        if current is None:
            st.caption(
                "Not calibrated: only the general side-view limits judge you. Press "
                "Calibrate while sitting upright to judge by your own posture (the front "
                "view needs it)."
            )
        else:
            st.caption(
                f"Judged against your calibration ({current.view} view, profile '{profile}')."
            )
        result = link.latest()
        if result is None:
            if link.outcome is not None and not (link.ending or playing or signalling):
                recap_card(link.outcome)
            else:
                not_live(link, holder, playing, signalling, landmarkers)
            return
        title = STATUS_LABEL[result.status]
        if result.status is PostureStatus.BAD and result.problems:
            title += f": {', '.join(result.problems)}"
        st.markdown(f"### {title}")
        if result.cue and result.cue != GOOD_CUE:
            st.markdown(f"**{result.cue}**")
        if result.status is PostureStatus.BAD:
            after = settings.alert_after_s
            st.progress(
                min(1.0, result.bad_for_s / after),
                text=f"Slouching for {result.bad_for_s:.0f} s (alert at {after:g} s)",
            )
        if result.view:
            calibrated = "calibrated" if result.calibrated else "not calibrated"
            st.caption(f"{result.view.capitalize()} view, {calibrated}.")
        rows = _boundary_rows(result.boundaries, result.metrics)
        if rows:
            st.table(rows)
        _stats(result.stats)
        if result.stats.alerts > link.heard_alerts:
            link.heard_alerts = result.stats.alerts
            if sound:
                st.html(BEEP, unsafe_allow_javascript=True)
        if result.break_due:
            names = catalog()
            routine = [r for r in result.routine if r in names]
            st.warning(
                f"{settings.break_after_min:g} minutes seated: time for a stretch break ("
                + ", ".join(names[r].name for r in routine)
                + ").",
                icon=":material/self_improvement:",
            )
            if routine and st.button(
                "Start the stretch break", icon=":material/play_arrow:", key="desk_break"
            ):
                link.take_break()
                st.session_state["routine"] = routine
                st.session_state["coach_stretch"] = routine[0]
                st.switch_page("app_pages/coach.py")
        stats = holder.session.stats() if holder.session is not None else None
        if stats is not None and stats.processed:
            st.caption(
                f"{stats.fps:.0f} frames/s processed, {stats.callback_ms:.0f} ms per frame, "
                f"{stats.dropped} dropped to keep up"
            )

    with panel:
        status()


desk_page()
