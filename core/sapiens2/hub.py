"""Hugging Face Hub access for Sapiens2 checkpoints: a cache-only lookup and the explicit download.

``download_checkpoint`` is the only network call of the package; everything at inference time uses
``cached_checkpoint`` (``local_files_only=True``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.errors import ModelNotAvailable


def repo_id(task: str, size: str) -> str:
    return f"facebook/sapiens2-{task}-{size}"


def checkpoint_filename(task: str, size: str) -> str:
    return f"sapiens2_{size}_{task}.safetensors"


def _hf_hub_download(**kwargs: Any) -> str:
    # Imported on use: huggingface_hub is slow to import and only needed here.
    from huggingface_hub import hf_hub_download

    return hf_hub_download(**kwargs)


def _cache_dir(cache_dir: Path | str | None) -> str:
    """The Hugging Face cache folder, read at call time: ``cache_dir``, else ``HF_HUB_CACHE``, else
    ``HF_HOME/hub``, else ``XDG_CACHE_HOME/huggingface/hub``, else ``~/.cache/huggingface/hub``
    (huggingface_hub's own order). Never left to huggingface_hub's default, which it reads once at
    its import: whatever the environment said then (a test's fake cache, seen leaking into later
    tests) would hold for the rest of the process."""
    if cache_dir is not None:
        return str(cache_dir)
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return str(Path(os.environ["HF_HOME"]) / "hub")
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "huggingface" / "hub")


def cached_checkpoint(task: str, size: str, *, cache_dir: Path | str | None = None) -> Path | None:
    """The checkpoint from the local Hugging Face cache, or None; never goes online.

    ``try_to_load_from_cache`` only reads the cache folder. ``hf_hub_download(local_files_only=True)``
    is not used here: it still builds request headers, and huggingface_hub then contacts
    huggingface.co (seen with huggingface_hub 2.4), which a lookup must never do.
    """
    from huggingface_hub import try_to_load_from_cache

    try:
        path = try_to_load_from_cache(
            repo_id(task, size), checkpoint_filename(task, size), cache_dir=_cache_dir(cache_dir)
        )
    except Exception:  # a malformed cache folder is the same as no cached file here
        return None
    return Path(path) if isinstance(path, str) and Path(path).is_file() else None


def _progress_class(progress: Callable[[int, int | None], None]) -> type:
    """A tqdm subclass that also reports ``progress(bytes_done, bytes_total)`` on every update."""
    from tqdm.auto import tqdm  # a huggingface_hub dependency

    class _Progress(tqdm):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            # Own count: a disabled bar (HF_HUB_DISABLE_PROGRESS_BARS) does not advance ``n``.
            initial = kwargs.get("initial")
            self._done = int(initial) if isinstance(initial, int | float) else 0

        def update(self, n: float | None = 1) -> bool | None:
            shown = super().update(n)
            self._done += int(n or 0)
            total = getattr(self, "total", None)
            progress(self._done, int(total) if total else None)
            return shown

    return _Progress


def download_checkpoint(
    task: str,
    size: str,
    *,
    progress: Callable[[int, int | None], None] | None = None,
    cache_dir: Path | str | None = None,
) -> Path:
    """Download ``sapiens2_<size>_<task>.safetensors`` from ``facebook/sapiens2-<task>-<size>``.

    Parameters
    ----------
    progress : callable, optional
        Called as ``progress(bytes_done, bytes_total_or_None)`` while downloading.
    cache_dir : path, optional
        Hugging Face cache folder (default: the standard one, or ``HF_HUB_CACHE``).

    Returns
    -------
    Path
        The file inside the Hugging Face cache. Raises ``ModelNotAvailable`` when the download fails.
    """
    kwargs: dict[str, object] = {
        "repo_id": repo_id(task, size),
        "filename": checkpoint_filename(task, size),
        "cache_dir": _cache_dir(cache_dir),
    }
    if progress is not None:
        kwargs["tqdm_class"] = _progress_class(progress)
    try:
        return Path(_hf_hub_download(**kwargs))
    except Exception as exc:
        raise ModelNotAvailable(
            f"could not download {kwargs['filename']} from https://huggingface.co/{kwargs['repo_id']}: {exc}. "
            "Check the network and that you accepted the Sapiens2 licence on the model page "
            "(`huggingface-cli login` if the repository is gated)."
        ) from exc
