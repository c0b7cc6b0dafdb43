"""Results kept in memory across reruns and sessions, so the same file analysed with the same model
and options is never computed twice.

A page computes a result with :func:`cached`; the key is (kind, file hash, backend key, options).
``st.cache_data`` is not used here because the gait analysis reports per-frame progress into
widgets made outside the function, which cached functions cannot replay. Sessions already saved
to the store are found with ``core.store.drafts.find`` and reopened from the database instead.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import streamlit as st

from core.hashing import sha256_hex

T = TypeVar("T")

#: Enough for a clinic morning of photos and a few videos; older results are recomputed if reopened.
MAX_ENTRIES = 64


class _ResultCache:
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self.items: OrderedDict[Hashable, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[bool, Any]:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return True, self.items[key]
            return False, None

    def put(self, key: Hashable, value: Any) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.max_entries:
                self.items.popitem(last=False)


@st.cache_resource(show_spinner=False)
def _results() -> _ResultCache:
    return _ResultCache(MAX_ENTRIES)


def file_hash(data: bytes) -> str:
    """SHA-256 of the uploaded bytes: the same content under another name is the same file."""
    return sha256_hex(data)


def cached(key: Hashable, compute: Callable[[], T]) -> tuple[T, bool]:
    """``(result, was_cached)``; ``compute`` runs only on a miss. Errors are not cached."""
    cache = _results()
    hit, value = cache.get(key)
    if hit:
        return value, True
    value = compute()
    cache.put(key, value)
    return value, False


def contains(key: Hashable) -> bool:
    """True when a result for ``key`` is at hand (a page then shows it without asking again)."""
    return _results().get(key)[0]


def clear() -> None:
    cache = _results()
    with cache.lock:
        cache.items.clear()
