"""SQLite session store (schema, migrations, artifacts) and CSV export."""

from core.store.records import MEASUREMENT_COLUMNS, Session, Subject
from core.store.store import Store

__all__ = ["MEASUREMENT_COLUMNS", "Session", "Store", "Subject"]
