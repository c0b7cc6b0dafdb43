"""Kept for imports written before tracking moved to :mod:`core.tracking` (it needs no backend)."""

from core.tracking import PersonTracker, select_person

__all__ = ["PersonTracker", "select_person"]
