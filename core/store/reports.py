"""Run reports kept in the data folder (batch summaries and worker logs), and erasing a subject
from them, so that deleting a subject leaves nothing of it anywhere in the data folder.

The store owns the data folder's layout; ``core.batch`` writes its reports under
:data:`REPORTS_DIRNAME` and this module is what :meth:`Store.delete_subject` uses to scrub them.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from core.store.artifacts import write_file_atomic
from core.store.cells import neutralise_cell

#: Folder under the data folder that holds batch run reports.
REPORTS_DIRNAME = "batch_runs"


def _scrub_csv(path: Path, label: str) -> None:
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or "subject" not in rows[0]:
        return
    col = rows[0].index("subject")
    # The summary writes labels through the formula guard: match both spellings.
    spellings = {label, str(neutralise_cell(label))}
    kept = [rows[0]] + [r for r in rows[1:] if len(r) <= col or r[col] not in spellings]
    if len(kept) == len(rows):
        return
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(kept)
    write_file_atomic(path, out.getvalue().encode("utf-8"))


def _scrub_log(path: Path, label: str) -> None:
    # Logs are free text: drop every line that mentions the label (a few extra lines lost is the
    # safe side of an erasure).
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines(keepends=True)
    kept = [line for line in lines if label not in line]
    if len(kept) != len(lines):
        write_file_atomic(path, "".join(kept).encode("utf-8"))


def scrub_subject(data_dir: Path, label: str) -> None:
    """Remove every report row (CSV) and log line of the subject ``label`` under the data folder."""
    folder = Path(data_dir) / REPORTS_DIRNAME
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.csv")):
        _scrub_csv(path, label)
    for path in sorted(folder.glob("*.log")):
        _scrub_log(path, label)
