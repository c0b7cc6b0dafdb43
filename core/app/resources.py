"""Long-lived objects shared by every session of the app: settings, the store, loaded backends.

``st.cache_resource`` keeps one instance per key for the whole server process, so a model is
loaded once and shared by all browser tabs; the keys are the settings that change what gets
loaded, so changing an environment variable and restarting gives fresh objects. Inference on one
backend is serialised with core's one lock (``core.backends.base.inference_lock``, re-exported
here): two tabs running the same model at once would only oversubscribe the CPU threads and could
break MediaPipe's per-stream timestamps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from core.backends.base import inference_lock as inference_lock  # core's one lock, for the pages
from core.backends.names import BACKEND_NAMES
from core.config import Settings, load_settings
from core.sapiens2.presets import SIZES

if TYPE_CHECKING:
    from core.backends.base import Backend
    from core.store import Store

BACKEND_CHOICES = BACKEND_NAMES  # the backend picker's options
SIZE_CHOICES = SIZES  # core.sapiens2.presets (torch-free), defined once


def get_settings() -> Settings:
    """Read the settings afresh on every run: it is cheap and follows the environment."""
    return load_settings()


def settings_key(settings: Settings) -> str:
    # Settings is a frozen dataclass of plain values, so its repr is a faithful cache key.
    return repr(settings)


@st.cache_resource(show_spinner=False)
def _store(key: str, _settings: Settings) -> Store:
    from core.store import Store

    # Opening sweeps what killed processes left (artifact folders of uncommitted saves, stale
    # working copies of uploads), as it does for the CLI; the upload spooler also sweeps as it goes.
    return Store(_settings)


def get_store(settings: Settings | None = None) -> Store:
    """The session store of the configured data directory (one per directory and settings)."""
    settings = settings or get_settings()
    return _store(settings_key(settings), settings)


@st.cache_resource(show_spinner="Loading the model ...")
def _backend(name: str, size: str, key: str, _settings: Settings) -> Backend:
    from core.backends.selection import get_backend as select

    return select(name, size=size, settings=_settings)


def get_backend(name: str, size: str = "0.4b", settings: Settings | None = None) -> Backend:
    """A loaded backend, shared across sessions. Raises ``ModelNotAvailable`` when its files are missing."""
    settings = settings or get_settings()
    return _backend(name, size, settings_key(settings), settings)


def backend_key(backend: Backend) -> str:
    """What identifies a backend's results: name, model, size, device, dtype and threshold."""
    d = backend.describe()
    return "|".join(
        f"{k}={d.get(k)}" for k in ("backend", "model", "size", "device", "dtype", "threshold")
    )


def clear_backends() -> None:
    """Forget loaded backends (after a model download, so ``auto`` can pick the new weights)."""
    _backend.clear()
