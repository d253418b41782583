"""posecheck's Streamlit app: the page list and nothing else. Each page lives in app_pages/ and
only wires widgets to the `posecheck` library; the maths and drawing live in the library.
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="posecheck", page_icon=":material/self_improvement:", layout="wide")

PAGES = [
    st.Page("app_pages/coach.py", title="Coach", icon=":material/self_improvement:", default=True),
    st.Page("app_pages/desk.py", title="Desk", icon=":material/desk:"),
    st.Page("app_pages/review.py", title="Review", icon=":material/video_library:"),
    st.Page("app_pages/history.py", title="History", icon=":material/history:"),
    st.Page("app_pages/photo.py", title="Photo check", icon=":material/photo_camera:"),
]

st.navigation(PAGES).run()
