"""Desk page: calibrate to your own upright posture (guided: the middle and the corners of the
screen), then live posture status from the browser's camera with each measure against your
calibrated range, an audible alert when a slouch persists, running statistics and stretch-break
prompts."""

from __future__ import annotations

from dataclasses import replace
from html import escape

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
    look_prompt,
    resolve_sensitivity,
)
from posecheck.errors import PosecheckError
from posecheck.metrics import get_metric
from posecheck.overlay import PostureAnnotator, band_bar
from posecheck.pose import Pose
from posecheck.profiles import DEFAULT_PROFILE, load_profile, profile_path, save_profile
from posecheck.recap import PostureRecap, clock, finish_posture
from posecheck.review import PostureReview
from posecheck.session import PostureTotals
from posecheck.specs import catalog
from posecheck.specs.desk import SENSITIVITIES, CalibrationSettings, posture_spec
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
VIEWS = {"detect": None, "side": "side", "front": "front", "three-quarter": "three-quarter"}
#: What each measure is called on the page.
MEASURES = {
    "neck_forward": "Neck forward",
    "trunk_forward": "Trunk lean",
    "head_gap": "Head above shoulders",
    "head_shoulder_size": "Closeness to the screen",
    "face_size": "Face size",
    "shoulder_tilt": "Shoulder tilt",
    "head_tilt": "Head tilt",
}
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

    def __init__(
        self, view: str | None, baseline: Baseline | None, sensitivity: str | None = None
    ) -> None:
        super().__init__()
        self.view = view
        self.tap = PoseTap()
        self._baseline = baseline
        self._sensitivity = sensitivity
        self._break = False
        self.heard_alerts = 0  # page side: alerts already sounded

    @property
    def baseline(self) -> Baseline | None:
        with self._lock:
            return self._baseline

    def use_baseline(self, baseline: Baseline) -> None:
        with self._lock:
            self._baseline = baseline

    def use_sensitivity(self, sensitivity: str) -> None:
        with self._lock:
            self._sensitivity = sensitivity

    def take_break(self) -> None:
        with self._lock:
            self._break = True

    def new_engine(self) -> PostureReview:
        self.heard_alerts = 0
        return PostureReview(self._baseline, self.view, self._sensitivity)

    def prepare(self, engine: PostureReview) -> None:
        engine.monitor.baseline = self._baseline
        engine.monitor.sensitivity = self._sensitivity
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


def _sensitivity_help() -> str:
    """The presets' numbers for a webcam in front, from the rules themselves."""
    parts = []
    for rule in posture_spec().rules_for("front"):
        tolerance = rule.below_range or rule.above_range
        if tolerance is None:
            continue
        ratio = get_metric(rule.metric).unit.symbol == ""
        values = [tolerance.of(s) for s in SENSITIVITIES]
        shown = " / ".join(f"{100 * v:g}" if ratio else f"{v:g}" for v in values)
        parts.append(f"{rule.problem} {shown}{' %' if ratio else '°'}")
    return (
        "How far past your calibrated range counts as bad (low / medium / high), from a "
        f"webcam in front: {', '.join(parts)}. Low only catches big slouches."
    )


def _name(metric: str) -> str:
    return MEASURES.get(metric, metric.replace("_", " "))


def _boundary_rows(
    boundaries: dict[str, Boundary], metrics: dict[str, float | None]
) -> list[dict[str, str]]:
    rows = []
    for key, b in boundaries.items():
        unit = get_metric(b.metric).unit
        value = metrics.get(key)
        yours = ""
        if b.band is not None and b.band.min is not None and b.band.max is not None:
            yours = f"{unit.text(b.band.min)} to {unit.text(b.band.max)}"
        rows.append(
            {
                "measure": _name(b.metric),
                # Not "-" for nothing: a lone dash renders as a Markdown bullet.
                "now": "not seen" if value is None else unit.text(value),
                "your range": yours or "not calibrated",
                "ok when": b.target.describe(unit, words=True, decimals=unit.decimals),
            }
        )
    return rows


def _box(left: float, width: float, colour: str, top: int = 4, height: int = 10) -> str:
    """One absolutely placed block of a bar (shares of the bar's width)."""
    return (
        f'<div style="position:absolute;left:{100 * left:.1f}%;width:{100 * width:.1f}%;'
        f'top:{top}px;height:{height}px;background:{colour}"></div>'
    )


def _bars(boundaries: dict[str, Boundary], metrics: dict[str, float | None]) -> str:
    """Each measure as a small bar: red beyond the limits, amber the allowance the sensitivity
    gives past your range, green your calibrated range, a black tick where you are now. Plain
    HTML blocks (st.html keeps no SVG)."""
    rows = []
    banded = False
    for key, boundary in boundaries.items():
        bar = band_bar(boundary, metrics.get(key))
        parts = [_box(0.0, 1.0, "#e57373"), _box(bar.ok[0], bar.ok[1] - bar.ok[0], "#ffd54f")]
        if bar.band is not None:
            banded = True
            b0, b1 = bar.band
            parts.append(_box(b0, max(b1 - b0, 0.01), "#66bb6a"))
        if bar.now is not None:
            parts.append(_box(bar.now - 0.006, 0.012, "#212121", top=0, height=18))
        state = "" if bar.inside is None else ("inside" if bar.inside else "outside")
        rows.append(
            f'<div class="desk-bar" data-measure="{escape(key)}" data-state="{state}" '
            'style="display:flex;align-items:center;gap:8px;font-size:0.85rem;margin:2px 0">'
            '<div style="position:relative;width:220px;height:18px;flex:none">'
            + "".join(parts)
            + f"</div><span>{escape(_name(key))}</span></div>"
        )
    # Without a calibration there is no range of your own to show: amber is then simply
    # where the general limits call it good.
    meaning = ("green: your calibrated range; amber: the allowance your sensitivity gives"
               if banded else "amber: within the general limits")  # fmt: skip
    legend = (
        f'<div style="font-size:0.75rem;color:#666">{meaning}; red: counts as bad; black: you '
        "now</div>"
    )
    return "".join(rows) + legend


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


def _finish_calibration(
    link: DeskLink, poses: list[Pose | None], profile: str, sensitivity: str
) -> None:
    try:
        baseline = calibrate(poses, view=link.view, min_frames=5)
    except CalibrationError as error:
        st.session_state["desk_calibration"] = ("error", f"Calibration refused. {error}")
        return
    baseline = replace(baseline, sensitivity=sensitivity)
    link.use_baseline(baseline)
    notes = " ".join(baseline.warnings)
    try:
        save_profile(profile, baseline)
    except PosecheckError as error:
        message = f"Calibrated for this session, but {error}"
        st.session_state["desk_calibration"] = ("warning", f"{message} {notes}".strip())
        return
    text = (
        f"Calibrated ({baseline.view} view) and saved as camera profile '{profile}': "
        f"{baseline.describe()}, {sensitivity} sensitivity."
    )
    st.session_state["desk_calibration"] = ("warning" if notes else "success", f"{text} {notes}")


#: Where each place to look sits on the little screen drawing (share of width, height).
_SPOTS = {"middle": (0.5, 0.5), "top left": (0.1, 0.15), "top right": (0.9, 0.15),
          "bottom right": (0.9, 0.85), "bottom left": (0.1, 0.85)}  # fmt: skip


def _screen(cal: CalibrationSettings, step: int) -> str:
    """A drawing of a screen with a dot where to look now (and faint dots for the others)."""
    dots = []
    for i, place in enumerate(cal.look_at):
        spot = next((xy for words, xy in _SPOTS.items() if words in place), None)
        if spot is None:
            continue
        size = 14 if i == step else 6
        colour = "#1e88e5" if i == step else "#bdbdbd"
        dots.append(
            f'<div style="position:absolute;left:calc({100 * spot[0]:.0f}% - {size // 2}px);'
            f"top:calc({100 * spot[1]:.0f}% - {size // 2}px);width:{size}px;height:{size}px;"
            f'border-radius:50%;background:{colour}"></div>'
        )
    return (
        '<div class="desk-screen" data-step="' + str(step + 1) + '" aria-label="where to look" '
        'style="position:relative;width:128px;height:80px;border:2px solid #616161;'
        'border-radius:6px;background:#fafafa">' + "".join(dots) + "</div>"
    )


def _calibrating(
    link: DeskLink, elapsed: float, poses: list[Pose | None], sensitivity: str
) -> None:
    cal = posture_spec().calibration
    st.markdown("### :blue[Calibrating: sit upright and look around your screen]")
    if not poses:
        st.info("Waiting for the camera: press START if it is not running.")
        return
    step, text = look_prompt(elapsed, cal)
    guide, words = st.columns([2, 3])
    with guide:
        st.html(_screen(cal, step))
    words.markdown(f"**Step {step + 1} of {len(cal.look_at)}. {text}**")
    words.caption(
        "Move your eyes, and your head only as much as you do when reading: looking around is "
        "then inside your range, and a real slouch is not."
    )
    st.progress(
        min(1.0, elapsed / cal.seconds), text=f"{max(0.0, cal.seconds - elapsed):.0f} s to go"
    )
    provisional = None
    if sum(p is not None for p in poses) >= 5:
        try:
            provisional = calibrate(poses, view=link.view)
        except CalibrationError:
            provisional = None
    judgement = assess(poses[-1], provisional, view=link.view, sensitivity=sensitivity)
    rows = _boundary_rows(judgement.boundaries, judgement.metrics)
    if rows:
        st.caption("The range your calibration is recording, and the limits it sets:")
        st.html(_bars(judgement.boundaries, judgement.metrics))
        st.table(rows)


def desk_page() -> None:
    st.title("Desk posture")
    spec = posture_spec()
    settings = spec.settings
    st.write(
        "A laptop or monitor webcam in front of you, even well off to one side, works once you "
        "calibrate; a side-on camera also judges without calibrating. You are told when a "
        f"slouch lasts {settings.alert_after_s:g} s, and after {settings.break_after_min:g} "
        "minutes seated a stretch break is suggested. Frames stay on this computer."
    )
    top = st.columns([3, 2, 3])
    choice = top[0].radio(
        "Camera view",
        list(VIEWS),
        horizontal=True,
        key="desk_view",
        help="'detect' works the view out from your shoulders; choose one to fix it. After "
        "calibrating, the calibration's view and camera angle decide.",
    )
    profile = (
        top[1]
        .text_input(
            "Camera profile",
            value=DEFAULT_PROFILE,
            key="desk_profile",
            help="Your calibration is saved under this name: one per camera position (for "
            "example 'laptop' and 'desk'). Recalibrate any time.",
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
    if st.session_state.get("desk_sensitivity_for") != profile:
        # A profile brings the sensitivity chosen with it.
        st.session_state["desk_sensitivity"] = resolve_sensitivity(None, baseline, settings)
        st.session_state["desk_sensitivity_for"] = profile
    sensitivity = top[2].radio(
        "Sensitivity",
        list(SENSITIVITIES),
        horizontal=True,
        key="desk_sensitivity",
        help=_sensitivity_help(),
    )

    key = f"desk-{choice}-{profile}"
    if st.session_state.get("desk_key") != key:
        st.session_state.pop("desk_calibration", None)
    landmarkers = shared_landmarkers()
    holder, link = page_stream(
        st.session_state, "desk", key, lambda: DeskLink(view, baseline, sensitivity),
        landmarkers=landmarkers,
    )  # fmt: skip
    link.use_sensitivity(sensitivity)

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
            help=f"Sit upright for {spec.calibration.seconds:g} s and look where it says: the "
            "middle and the corners of your screen.",
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
            _finish_calibration(link, poses, profile, sensitivity)
            st.rerun(scope="app")  # the whole page: the button now says "Recalibrate"
        recording, elapsed, so_far = link.tap.progress()
        if recording:
            _calibrating(link, elapsed, so_far, sensitivity)
            return
        note = st.session_state.get("desk_calibration")
        if note is not None:
            kind, text = note
            {"error": st.error, "warning": st.warning, "success": st.success}[kind](text)
        current = link.baseline
        if current is None:
            st.caption(
                "Not calibrated: only the general side-view limits judge you. Press "
                "Calibrate while sitting upright to judge by your own posture (a webcam in "
                "front of you needs it)."
            )
        else:
            st.caption(
                f"Judged against your calibration ({current.describe()}, profile "
                f"'{profile}', {sensitivity} sensitivity)."
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
            st.html(_bars(result.boundaries, result.metrics))
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
