"""Sapiens Measure: the Streamlit entry point (``streamlit run Home.py``).

It sets up the page and the navigation over ``pages/``; each page draws its own header, the
"measurements, not diagnoses" notice and the shared sidebar (``core.app.layout.page``).
"""

import streamlit as st

if __name__ != "__main__":
    # `streamlit run Home.py` imports this file once to find the server app: a Streamlit app with a
    # Host/Origin allow-list in front and no IP lookups (core/app/server.py). Sessions run the
    # file as a script (as `__main__`), which takes the branch below.
    from core.app.server import local_only_middleware

    app = st.App(__file__, middleware=local_only_middleware())
else:
    st.set_page_config(
        page_title="Sapiens Measure", page_icon=":material/accessibility:", layout="wide"
    )

    navigation = st.navigation(
        {
            "Sapiens Measure": [
                st.Page("pages/start.py", title="Start", icon=":material/home:", default=True),
            ],
            "Measure": [
                st.Page(
                    "pages/posture.py",
                    title="Posture snapshot",
                    icon=":material/accessibility_new:",
                ),
                st.Page("pages/gait.py", title="Gait session", icon=":material/directions_walk:"),
                st.Page("pages/desk_watch.py", title="Desk watch", icon=":material/videocam:"),
                st.Page("pages/skin_roi.py", title="Skin ROI", icon=":material/crop:"),
                st.Page("pages/relight.py", title="Relight", icon=":material/light_mode:"),
            ],
            "Review": [
                st.Page(
                    "pages/sessions.py", title="Sessions review", icon=":material/table_chart:"
                ),
            ],
        }
    )
    navigation.run()
