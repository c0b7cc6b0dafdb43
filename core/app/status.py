"""The backend and model status panel: what would run, on which device and dtype, where the weights
were found (or why not), and buttons that download missing weights with a progress bar.

Downloads are the app's only network access and happen only when the user presses a button.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from core.app.errors import attempt, user_errors
from core.app.resources import clear_backends
from core.app.sidebar import chosen_backend
from core.config import Settings, display_path

#: The Sapiens2 tasks the pages use: pose (posture, gait), seg (skin ROI, hair), normal (relight).
TASKS = ("pose", "seg", "normal")
NOT_FOUND = "not found"


def device_and_dtype(settings: Settings) -> tuple[str, str]:
    """The device and dtype Sapiens2 would run with under these settings."""
    from core.sapiens2.device import dtype_name, pick_device, pick_dtype

    device = pick_device(settings.device)
    return device, dtype_name(pick_dtype(device, settings.dtype))


def backend_sentence(settings: Settings, name: str, size: str) -> str:
    """Which backend will run when a page measures, and why, in one markdown sentence; the same
    resolution as the pages' ``get_backend`` (``core.backends.selection.which_backend``)."""
    from core.backends.selection import which_backend

    choice = which_backend(name, size=size, settings=settings)
    where = "the sidebar says " + (
        "**auto**" if choice.requested == "auto" else f"**{choice.requested}**"
    )
    if choice.name == "lite":
        text = f"**Lite (MediaPipe)** will run, on the CPU: {where}"
        if choice.requested == "auto":
            text += ", and " + choice.reason.removeprefix("auto: ")
        text += "."
        if not choice.ready:
            text += " Its model files are missing: download them below."
        return text
    device, dtype = device_and_dtype(settings)
    text = f"**Sapiens2 {size}** will run on **{device}** in **{dtype}**: {where}"
    if choice.requested == "auto":
        text += f", and its {size} pose weights are on this computer."
    elif choice.ready:
        text += "."
    else:
        text += (
            f", but its {size} pose weights are not on this computer: download them below, or "
            "choose lite (or auto, which falls back to lite) in the sidebar."
        )
    text += " Device and dtype come from `SAPIENS_MEASURE_DEVICE` and `SAPIENS_MEASURE_DTYPE`."
    from core.sapiens2.device import emulated_bf16_note, pick_dtype

    note = emulated_bf16_note(device, pick_dtype(device, dtype))  # the name back to the dtype
    return text + (f" **Slow:** {note}." if note else "")


def checkpoint_table(settings: Settings, size: str) -> pd.DataFrame:
    """One row per task: where its Sapiens2 checkpoint was found, or 'not found'."""
    from core.sapiens2.checkpoints import find_checkpoint, search_roots

    where = ", ".join(display_path(r) for r in search_roots(settings)) + ", Hugging Face cache"
    rows = []
    for task in TASKS:
        path = find_checkpoint(task, size, settings)
        rows.append(
            {
                "task": task,
                "file": f"sapiens2_{size}_{task}.safetensors",
                "found at": display_path(path) if path else f"{NOT_FOUND} (looked in {where})",
            }
        )
    return pd.DataFrame(rows)


def lite_table(settings: Settings) -> pd.DataFrame:
    """One row per lite model file the app uses: where it was found, or 'not found'."""
    from core.backends.models import DEFAULT_FETCH, LITE_MODELS, find_lite_model

    where = ", ".join(display_path(d) for d in settings.lite_model_dirs)
    rows = []
    for key in DEFAULT_FETCH:
        path = find_lite_model(key, settings)
        rows.append(
            {
                "file": LITE_MODELS[key].filename,
                "found at": display_path(path) if path else f"{NOT_FOUND} (looked in {where})",
            }
        )
    return pd.DataFrame(rows)


def _download_sapiens2(task: str, size: str) -> Path | None:
    from core.sapiens2.hub import download_checkpoint

    bar = st.progress(0.0, text=f"Downloading Sapiens2 {task} {size} ...")

    def report(done: int, total: int | None) -> None:
        if total:
            bar.progress(
                min(1.0, done / total),
                text=f"{task} {size}: {done / 1e6:.0f} of {total / 1e6:.0f} MB",
            )

    path = attempt(download_checkpoint, task, size, progress=report)
    if path is None:
        bar.empty()  # the error box says what failed; a half-full bar would say it still runs
        return None
    bar.progress(1.0, text=f"Saved to {path}")
    clear_backends()
    return path


def _download_lite(settings: Settings) -> None:
    from core.backends.models import fetch_lite_models

    bar = st.progress(0.0, text="Downloading the lite (MediaPipe) model files ...")

    def report(name: str, done: int, total: int | None) -> None:
        if total:
            bar.progress(
                min(1.0, done / total), text=f"{name}: {done / 1e6:.1f} of {total / 1e6:.1f} MB"
            )

    def notice(text: str) -> None:
        st.info(text, icon=":material/info:")

    if attempt(fetch_lite_models, report, settings=settings, notice=notice) is None:
        bar.empty()  # the error box says what failed and what to do
        return
    bar.progress(1.0, text="Lite model files ready.")
    clear_backends()


def render_panel(settings: Settings) -> None:
    """The status panel of the Start page."""
    name, size = chosen_backend()
    with user_errors():
        from core.backends.selection import available_backends

        st.markdown(backend_sentence(settings, name, size))
        backends = available_backends(settings, size=size)
        # st.table wraps long cells (a fetch hint, a path) instead of cutting them off.
        st.table(
            pd.DataFrame({"backend": list(backends), "status": list(backends.values())}),
            hide_index=True,
        )
    st.markdown("**Sapiens2 weights**")
    with user_errors():
        table = checkpoint_table(settings, size)
        st.table(table, hide_index=True)
        missing = table.loc[table["found at"].str.startswith(NOT_FOUND), "task"].tolist()
        if missing:
            st.caption(
                "Missing weights can be downloaded from Hugging Face (facebook/sapiens2-<task>-<size>) into its "
                "local cache; the Sapiens2 License applies to them. Same as `python -m core fetch sapiens2`."
            )
            task = st.selectbox("Weights to download", missing, key="status_download_task")
            if st.button(f"Download Sapiens2 {task} {size}", key="status_download_sapiens2"):
                _download_sapiens2(task, size)
    st.markdown("**Lite (MediaPipe) model files**")
    with user_errors():
        lite = lite_table(settings)
        st.table(lite, hide_index=True)
        if lite["found at"].str.startswith(NOT_FOUND).any():
            st.caption(
                "The download tries MediaPipe's model storage first; when that cannot be reached it "
                "builds the same files from the mediapipe 0.10.21 wheel on PyPI (through your pip "
                "settings, so a package mirror is enough). Same as `python -m core fetch lite`."
            )
            if st.button("Download the missing lite model files", key="status_download_lite"):
                _download_lite(settings)
