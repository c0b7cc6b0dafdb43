"""Saving and finding the sessions that ``core.sessions`` drafts: the one way a photo or a video
analysed by the app, the CLI or batch becomes a stored session, and is found again.

A session is found by its subject, kind, source file hash and parameters key
(``core.sessions.key``), so a photo saved from one of them is found by the others.
"""

from __future__ import annotations

from core.sessions.draft import SessionDraft
from core.sessions.key import UNKNOWN_KEY
from core.store.store import Store


def save(store: Store, subject_id: int, draft: SessionDraft, *, notes: str = "") -> int:
    """Store ``draft`` for the subject in one transaction; returns the session id."""
    return store.save_session(
        subject_id,
        kind=draft.kind,
        backend_info=dict(draft.backend_info),
        source_hash=draft.source_hash,
        measurements=draft.rows,
        artifacts=dict(draft.artifacts) or None,
        notes=notes,
        params=dict(draft.params),
        key=draft.key,
    )


def find_session(
    store: Store, *, subject_id: int, kind: str, source_hash: str, key: str
) -> int | None:
    """The newest session of the subject with this kind, source hash and key, or None.

    An empty or unknown key (a session that recorded too little, see ``core.store.rekey``) never
    matches. Batch asks this before it analyses a file (the key from the loaded backend).
    """
    if not key or key == UNKNOWN_KEY or not source_hash:
        return None
    rows = store._read(  # the store's own read path: its connection and error translation
        "SELECT id FROM sessions WHERE subject_id = ? AND kind = ? AND source_hash = ? "
        "AND params_key = ? ORDER BY created_utc DESC, id DESC LIMIT 1",
        (subject_id, kind, source_hash, key),
    )
    return int(rows[0][0]) if rows else None


def find(store: Store, subject_id: int, draft: SessionDraft) -> int | None:
    """The newest stored session of the subject holding the same numbers as ``draft``, or None."""
    return find_session(
        store, subject_id=subject_id, kind=draft.kind, source_hash=draft.source_hash, key=draft.key
    )
