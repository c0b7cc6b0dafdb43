"""The type checker's rules that mypy itself cannot hold: every ``# type: ignore`` in ``core/``
names its error code and says why on the same line, and CI runs mypy on ``core/``."""

from __future__ import annotations

import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: ``# type: ignore[code, code]  # why``: the codes and a reason after a second ``#``.
WELL_FORMED = re.compile(r"#\s*type:\s*ignore\[[a-z-]+(,\s*[a-z-]+)*\]\s+#\s*\S")


def _ignores(path: Path) -> list[tuple[int, str]]:
    """(line, comment text) of each comment in ``path`` that holds a ``type: ignore``."""
    with path.open("rb") as fh:
        return [
            (tok.start[0], tok.string)
            for tok in tokenize.tokenize(fh.readline)
            if tok.type == tokenize.COMMENT and re.search(r"type:\s*ignore", tok.string)
        ]


def test_every_type_ignore_names_its_code_and_a_reason() -> None:
    bad = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for path in sorted((ROOT / "core").rglob("*.py"))
        for line, text in _ignores(path)
        if not WELL_FORMED.search(text)
    ]
    assert bad == [], "write `# type: ignore[code]  # why`:\n" + "\n".join(bad)


def test_the_check_itself_tells_a_bare_ignore_from_a_reasoned_one() -> None:
    assert WELL_FORMED.search("# type: ignore[arg-type]  # pandas parses any stored time")
    assert WELL_FORMED.search("# type: ignore[misc, valid-type]  # tqdm is untyped")
    assert not WELL_FORMED.search("# type: ignore[arg-type]")
    assert not WELL_FORMED.search("# type: ignore  # no code")
    assert not WELL_FORMED.search("# type: ignore[misc] #")


def test_ci_runs_mypy_on_core_with_the_project_config() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^\.venv/bin/python -m mypy core$", ci, re.MULTILINE)
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert "[tool.mypy]" in pyproject and '"ignore-without-code"' in pyproject
