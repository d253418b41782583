"""History page: past sessions in a table, trends over days as charts, one session's details,
and delete with a confirmation. Reads the SQLite history through posecheck.store.

`?session=ID` in the address (the live pages' end-of-session cards link here) opens that
session's details first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import altair as alt
import streamlit as st

from posecheck.errors import PosecheckError
from posecheck.specs import catalog
from posecheck.store import SessionRecord, Store, open_store

SEGMENT_COLOURS = {
    "no person": "#bdbdbd",
    "setting up": "#9ecae1",
    "in position": "#fdae6b",
    "holding": "#74c476",
    "rep": "#6baed6",
    "between reps": "#c6dbef",
    "done": "#31a354",
    "good": "#74c476",
    "bad": "#fb6a4a",
    "away": "#bdbdbd",
    "unknown": "#e0e0e0",
}


#: The nearest Streamlit Markdown colour to each segment colour, for the timeline's key.
MARKDOWN_COLOURS = {
    "setting up": "blue", "in position": "orange", "holding": "green", "done": "green",
    "rep": "blue", "between reps": "blue",
    "good": "green", "bad": "red",
}  # fmt: skip


def _name(record: SessionRecord) -> str:
    if record.kind == "posture":
        return "Desk posture"
    spec = catalog().get(record.stretch_id or "")
    name = spec.name if spec is not None else str(record.stretch_id)
    return f"{name} ({record.side})" if record.side else name


def _when(record: SessionRecord) -> str:
    return record.started_at.astimezone().strftime("%Y-%m-%d %H:%M")


def _label(record: SessionRecord) -> str:
    return f"#{record.id}  {_when(record)}  {_name(record)}"


def _table(sessions: list[SessionRecord]) -> list[dict[str, Any]]:
    rows = []
    for r in sessions:
        rows.append(
            {
                "id": r.id,
                "when": _when(r),
                "session": _name(r),
                "from": "camera" if r.source == "live" else f"video {r.video or ''}".strip(),
                "minutes": round(r.duration_s / 60, 1),
                "good (s)": "" if r.good_s is None else round(r.good_s),
                "slouched (s)": "" if r.kind == "stretch" or r.bad_s is None else round(r.bad_s),
                "reps": r.reps if r.kind == "stretch" and r.reps else "",
            }
        )
    return rows


def _trends(store: Store) -> None:
    trends = store.trends(local_days=True)
    specs = catalog()
    left, right = st.columns(2)
    with left:
        st.markdown("**Time held in good form, per stretch and day**")
        if trends.stretches:
            rows = [
                {
                    "day": d.day.isoformat(),
                    "stretch": specs[d.stretch_id].name if d.stretch_id in specs else d.stretch_id,
                    "held_s": round(d.hold_s, 1),
                }
                for d in trends.stretches
            ]
            chart = (
                alt.Chart(alt.InlineData(values=rows))
                .mark_bar()
                .encode(
                    x=alt.X("day:O", title="day", axis=alt.Axis(labelAngle=0)),
                    y=alt.Y("held_s:Q", title="held in good form (s)"),
                    color=alt.Color(
                        "stretch:N", title="stretch", legend=alt.Legend(labelLimit=320)
                    ),
                    xOffset="stretch:N",
                    tooltip=["day:O", "stretch:N", "held_s:Q"],
                )
                .properties(height=260)
            )
            st.altair_chart(chart, width="stretch")
        else:
            st.caption("No stretch sessions yet.")
    with right:
        st.markdown("**Share of judged desk time spent slouched, per day**")
        days = [d for d in trends.posture if d.slouch_share is not None]
        if days:
            rows = [
                {"day": d.day.isoformat(), "slouched": d.slouch_share, "sessions": d.sessions}
                for d in days
            ]
            base = alt.Chart(alt.InlineData(values=rows))
            labels = base.mark_text(dy=-8).encode(
                x="day:O", y="slouched:Q", text=alt.Text("slouched:Q", format=".0%")
            )
            bars = (
                base.mark_bar(color="#fb6a4a")
                .encode(
                    x=alt.X("day:O", title="day", axis=alt.Axis(labelAngle=0)),
                    y=alt.Y(
                        "slouched:Q", title="time slouched", axis=alt.Axis(format="%"),
                        scale=alt.Scale(domain=[0, 1]),
                    ),
                    tooltip=["day:O", alt.Tooltip("slouched:Q", format=".0%"), "sessions:Q"],
                )
                .properties(height=260)
            )
            st.altair_chart(alt.LayerChart(layer=[bars, labels]), width="stretch")
        else:
            st.caption("No desk sessions with judged posture yet.")


def _details(store: Store, record: SessionRecord) -> None:
    s = record.summary
    cols = st.columns(4)
    cols[0].metric("Duration", f"{record.duration_s:.0f} s")
    if record.kind == "stretch":
        cols[1].metric("Held in good form", f"{record.good_s or 0:.0f} s")
        cols[2].metric("In position", f"{s.in_position_s:.0f} s")
        cols[3].metric("Reps", record.reps or 0)
    else:
        cols[1].metric("Good", f"{record.good_s or 0:.0f} s")
        cols[2].metric("Slouched", f"{record.bad_s or 0:.0f} s")
        cols[3].metric("Alerts", s.posture.alerts if s.posture is not None else 0)
    if record.segments:
        rows = [
            {"start": seg.start_s, "end": seg.end_s, "phase": seg.label}
            for seg in record.segments
        ]
        colours = {s.label: SEGMENT_COLOURS.get(s.label, "#eeeeee") for s in record.segments}
        chart = (
            alt.Chart(alt.InlineData(values=rows))
            .mark_bar(height=28)
            .encode(
                x=alt.X("start:Q", title=None),
                x2="end:Q",
                color=alt.Color(
                    "phase:N",
                    title="phase",
                    scale=alt.Scale(domain=list(colours), range=list(colours.values())),
                    legend=None,  # Streamlit clips a legend taller than this thin chart
                ),
                tooltip=["phase:N", "start:Q", "end:Q"],
            )
            .properties(height=110, title="Timeline")
        )
        st.altair_chart(chart, width="stretch")
        st.caption(
            "Seconds from the start; "
            + ", ".join(f":{MARKDOWN_COLOURS.get(p, 'gray')}[{p}]" for p in colours)
        )
    with st.expander("Everything recorded for this session"):
        st.json(s.to_json())
    if record.source == "review" and record.video:
        _rejudge(record)

    assert record.id is not None
    pending = st.session_state.get("history_confirm")
    if pending != record.id:
        if st.button("Delete this session", icon=":material/delete:", key="history_delete"):
            st.session_state["history_confirm"] = record.id
            st.rerun()
        return
    st.warning(f"Delete session #{record.id} ({_name(record)}, {_when(record)}) for good?")
    yes, no = st.columns(2)
    if yes.button("Yes, delete it", type="primary", key="history_yes"):
        st.session_state.pop("history_confirm", None)
        try:
            store.delete_session(record.id)
        except PosecheckError as error:
            st.error(str(error))
            return
        st.session_state["history_deleted"] = record.id
        if st.query_params.get("session") == str(record.id):
            del st.query_params["session"]
        st.rerun()
    if no.button("Keep it", key="history_no"):
        st.session_state.pop("history_confirm", None)
        st.rerun()


def _rejudge(record: SessionRecord) -> None:
    """Judge a reviewed video again, from its stored landmarks (no model, a moment), with
    another stretch, an edited spec file or desk posture; the result can be saved."""
    from functools import partial

    from posecheck.history import save_session
    from posecheck.review import PostureReview, StretchReview
    from posecheck.review.scale import rejudge
    from posecheck.session import SessionSummary
    from posecheck.specs import get_stretch

    state = f"rejudged_{record.id}"
    with st.expander("Judge this video again", expanded=state in st.session_state):
        st.caption("Uses the landmarks stored when the video was reviewed: the model does not "
                   "run again. Choose another stretch, your own spec file, or desk posture.")
        specs = catalog()
        by_name = {spec.name: spec.id for spec in specs.values()}
        chosen = st.selectbox("Judge as", ["Desk posture", *by_name], key=f"rejudge_as_{record.id}")
        upload = st.file_uploader("or an edited spec file (.toml)", type=["toml"],
                                  key=f"rejudge_spec_{record.id}")  # fmt: skip
        if st.button("Judge again", key=f"rejudge_go_{record.id}"):
            try:
                make: Any
                if upload is not None:
                    import tempfile

                    with tempfile.TemporaryDirectory(prefix="posecheck-spec-") as folder:
                        spec_file = Path(folder) / Path(upload.name).name
                        spec_file.write_bytes(upload.getvalue())
                        make = partial(StretchReview, get_stretch(str(spec_file)))
                elif chosen == "Desk posture":
                    make = PostureReview
                else:
                    make = partial(StretchReview, get_stretch(by_name[chosen]))
                st.session_state[state] = rejudge(Path(str(record.video)), make).summary
            except PosecheckError as error:
                st.session_state.pop(state, None)
                st.error(str(error))
        summary: SessionSummary | None = st.session_state.get(state)
        if summary is None:
            return
        name = "Desk posture" if summary.stretch is None else _stretch_name(summary.stretch)
        st.markdown(f"**Judged as {name}**")
        cols = st.columns(3)
        if summary.posture is not None:
            cols[0].metric("Good", f"{summary.posture.good_s:.0f} s")
            cols[1].metric("Slouched", f"{summary.posture.bad_s:.0f} s")
            cols[2].metric("Alerts", summary.posture.alerts)
        else:
            cols[0].metric("In position", f"{summary.in_position_s:.0f} s")
            cols[1].metric("Held in good form", f"{summary.good_form_s:.0f} s")
            cols[2].metric("Reps", summary.reps or 0)
        st.caption(", ".join(f"{seg.label} {seg.start_s:.1f}-{seg.end_s:.1f} s"
                             for seg in summary.segments[:8]))  # fmt: skip
        if st.button("Save this as a new session", key=f"rejudge_save_{record.id}"):
            try:
                new_id = save_session(summary, source="review", video=record.video)
            except PosecheckError as error:
                st.error(str(error))
                return
            st.session_state.pop(state, None)
            st.success(f"Saved as session #{new_id}.")


def _stretch_name(stretch_id: str) -> str:
    spec = catalog().get(stretch_id)
    return spec.name if spec is not None else stretch_id
def _asked_for(by_id: dict[int | None, SessionRecord]) -> int | None:
    """The session named by `?session=ID`, chosen in the picker the first time the page sees
    that address (the person may pick another afterwards); a warning when there is none."""
    raw = st.query_params.get("session")
    if raw is None:
        return None
    try:
        number = int(raw)
    except ValueError:
        st.warning(f"The link asks for session '{raw}', which is not a session number.")
        return None
    if number not in by_id:
        st.warning(f"Session #{number} is not in your history (it may have been deleted).")
        return None
    if st.session_state.get("history_opened") != raw:
        st.session_state["history_opened"] = raw
        st.session_state["history_pick"] = number
    return number


def history_page() -> None:
    st.title("History")
    try:
        store = open_store()
    except PosecheckError as error:
        st.error(str(error))
        return
    try:
        deleted = st.session_state.pop("history_deleted", None)
        if deleted is not None:
            st.success(f"Session #{deleted} deleted.")
        sessions = store.list_sessions()
        if not sessions:
            st.info(
                "No sessions yet. Sessions from the Coach, the Desk monitor and the Review "
                "are saved here."
            )
            return
        by_id = {r.id: r for r in sessions}
        asked = _asked_for(by_id)

        def details() -> None:
            st.subheader("Details")
            chosen = st.selectbox(
                "Session", list(by_id), format_func=lambda i: _label(by_id[i]),
                key="history_pick",
            )  # fmt: skip
            _details(store, by_id[chosen])

        if asked is not None:
            details()  # opened for this session: its details first
        st.subheader("Trends")
        _trends(store)
        st.subheader("Sessions")
        st.dataframe(_table(sessions), hide_index=True, width="stretch")
        if asked is None:
            details()
    except PosecheckError as error:
        st.error(str(error))
    finally:
        store.close()

history_page()
