"""Layers point one way: the imports of every module under ``core/``, read from the source.

Every ``import`` counts, at module level, inside functions and under ``TYPE_CHECKING``, as do
``importlib.import_module("core....")`` calls with a literal name. The rules are the matrix of
``docs/ARCHITECTURE.md``; the module graph must also be free of cycles. The checker is tested on
made-up graphs too, so a green run means "no forbidden arrow", not "the checker saw nothing".
"""

from __future__ import annotations

import ast
import graphlib
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parent.parent / "core"

#: The torch-free leaves at the bottom: value types, label tables, limits, hashes, errors.
LEAVES = frozenset({"core", "errors", "hashing", "keypoints", "labels", "limits", "types"})
_UI = frozenset({"app", "cli"})
#: layer -> the core layers it must never import (docs/ARCHITECTURE.md, "Allowed imports").
FORBIDDEN: dict[str, frozenset[str]] = {
    "measure": frozenset({"analysis", "backends", "batch", "config", "imaging", "sapiens2", "store", "video"}) | _UI,
    "imaging": frozenset({"analysis", "backends", "batch", "config", "measure", "sapiens2", "store", "video"}) | _UI,
    "video": frozenset({"analysis", "backends", "batch", "config", "measure", "sapiens2", "store"}) | _UI,
    "store": frozenset({"analysis", "backends", "batch", "imaging", "sapiens2", "video"}) | _UI,
    "sapiens2": frozenset({"analysis", "backends", "batch", "store"}) | _UI,
    "backends": frozenset({"analysis", "batch", "store"}) | _UI,
    "config": frozenset({"analysis", "backends", "batch", "imaging", "measure", "sapiens2", "store", "video"}) | _UI,
    "analysis": frozenset({"batch", "store"}) | _UI,
    "analysis3d": frozenset({"batch", "store"}) | _UI,
    "reports": frozenset({"analysis", "backends", "batch", "sapiens2"}) | _UI,
    "sessions": frozenset({"batch", "store"}) | _UI,
    "batch": _UI,
    "cli": frozenset({"app"}),
}  # fmt: skip
#: Third-party packages a layer must not import: the layers below the models stay torch-free.
FORBIDDEN_EXTERNAL: dict[str, frozenset[str]] = {
    layer: frozenset({"mediapipe", "torch"})
    for layer in ("measure", "imaging", "video", "store", "config", "reports", *LEAVES)
}

#: Arrows the design forbids that are still there, each with the reason. The test fails on any arrow
#: not listed, and on a listed one that is gone (then delete its line): this list only shrinks.
ALLOWED: dict[tuple[str, str], str] = {}
#: Imports left out of the cycle search, each closing a known cycle, with the reason; same rule:
#: the test fails on a new cycle and on a listed import that is gone.
CYCLE_BREAKS: dict[tuple[str, str], str] = {
    ("core.sapiens2.cpu_kernels", "core.sapiens2.routes"): "inside sapiens2, not between "
    "packages: is_enabled(op) asks routes for the route measured on this machine, and routes "
    "times these very kernels (and heads.layers, which calls them); the import is deferred to "
    "the call, so nothing loads half-initialised. Breaking it means moving usable/is_enabled "
    "into routes and the model modules' imports with them",
}


def module_name(path: Path, root: Path = CORE) -> str:
    """``core/imaging/decode.py`` -> ``core.imaging.decode``; a package's ``__init__`` -> the package."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    """The layer a ``core`` module belongs to: ``core.imaging.decode`` -> ``imaging``,
    ``core.keypoints`` -> ``keypoints``, ``core`` itself -> ``core``; other modules: their top name."""
    parts = module.split(".")
    if parts[0] != "core":
        return parts[0]
    return parts[1] if len(parts) > 1 else "core"


def _literal_import(node: ast.Call) -> str | None:
    """The module name of ``importlib.import_module("...")`` / ``import_module("...")``, if literal."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name == "import_module" and node.args and isinstance(node.args[0], ast.Constant):
        value = node.args[0].value
        return value if isinstance(value, str) else None
    return None


def imports_of(
    source: str, module: str, *, is_package: bool, known: Iterable[str] = ()
) -> set[str]:
    """Every module ``source`` (the text of ``module``) imports, wherever the statement stands.

    ``from X import y`` names ``X.y`` when that is a module in ``known``, else ``X``; relative
    imports are resolved against ``module`` (a package's ``__init__`` when ``is_package``).
    """
    known = set(known)
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)
        elif isinstance(node, ast.Call) and (name := _literal_import(node)):
            found.add(name)
    return found


def import_graph(root: Path = CORE) -> dict[str, set[str]]:
    """module -> the modules it imports (core modules by full name, others as written)."""
    paths = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    return {
        name: imports_of(
            path.read_text(encoding="utf-8"),
            name,
            is_package=path.name == "__init__.py",
            known=paths,
        )
        for name, path in paths.items()
    }


def violations(
    graph: Mapping[str, Iterable[str]],
    *,
    forbidden: Mapping[str, frozenset[str]] = FORBIDDEN,
    forbidden_external: Mapping[str, frozenset[str]] = FORBIDDEN_EXTERNAL,
    allowed: Mapping[tuple[str, str], str] = ALLOWED,
) -> list[str]:
    """One line per arrow the rules forbid and ``allowed`` does not list, sorted."""
    found = []
    for src, targets in graph.items():
        layer = layer_of(src)
        for dst in sorted(set(targets)):
            to = layer_of(dst)
            if (src, dst) in allowed or to == layer:
                continue
            if dst.startswith("core"):
                bad = to in forbidden.get(layer, ()) or (layer in LEAVES and to not in LEAVES)
            else:
                bad = to in forbidden_external.get(layer, ()) or (
                    to == "streamlit" and layer != "app"
                )
            if bad:
                found.append(f"{src} -> {dst} ({layer} must not import {to})")
    return sorted(found)


def stale_allowances(
    graph: Mapping[str, Iterable[str]], allowed: Mapping[tuple[str, str], str] = ALLOWED
) -> list[tuple[str, str]]:
    """Entries of ``allowed`` whose arrow no longer exists."""
    return sorted(edge for edge in allowed if edge[1] not in set(graph.get(edge[0], ())))


def find_cycle(
    graph: Mapping[str, Iterable[str]], breaks: Iterable[tuple[str, str]] = ()
) -> list[str] | None:
    """One import cycle among the graph's own modules (``[a, b, a]``), or None; the imports in
    ``breaks`` are left out."""
    skip = set(breaks)
    inner = {
        src: {d for d in targets if d in graph and d != src and (src, d) not in skip}
        for src, targets in graph.items()
    }
    try:
        graphlib.TopologicalSorter(inner).prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return None


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


# --- the real tree -------------------------------------------------------------------------------


def test_the_graph_covers_the_whole_package(graph):
    # A checker that read nothing would pass everything: these arrows are known to exist.
    assert len(graph) > 100
    assert "core.keypoints" in graph["core.measure.posture"]
    assert "core.types" in graph["core.imaging.overlay"]
    assert "streamlit" in graph["core.app.resources"]
    assert "torch" in graph["core.sapiens2.model"]


def test_no_forbidden_arrow(graph):
    assert violations(graph) == []


def test_the_allow_lists_only_shrink(graph):
    # An allowed arrow that is gone must leave the list, so that it cannot silently come back.
    assert stale_allowances(graph) == []
    assert stale_allowances(graph, CYCLE_BREAKS) == []
    assert all(reason.startswith("issue ") for reason in ALLOWED.values())


def test_no_import_cycle(graph):
    assert find_cycle(graph, CYCLE_BREAKS) is None
    # The two cycles of issue 16 stay broken (store -> reports -> export -> store; batch's engine
    # and its implementations), and the listed break really closes a cycle.
    assert "core.store.export" not in graph["core.store.reports"]
    assert "core.batch.engine" not in graph["core.batch.local"] | graph["core.batch.ray_engine"]
    assert find_cycle(graph) is not None


# --- the checker on made-up graphs -----------------------------------------------------------------


def test_a_forbidden_arrow_is_caught():
    fake = {
        "core.imaging.overlay": {"core.backends.base", "core.types", "numpy"},
        "core.measure.posture": {"core.keypoints", "core.config"},
        "core.store.export": {"core.store.records", "core.batch.summary"},
        "core.types": {"core.errors", "core.imaging.decode", "torch"},
        "core.video.probe": {"streamlit"},
        "core.app.layout": {"streamlit", "core.store"},
    }
    assert violations(fake, allowed={}) == [
        "core.imaging.overlay -> core.backends.base (imaging must not import backends)",
        "core.measure.posture -> core.config (measure must not import config)",
        "core.store.export -> core.batch.summary (store must not import batch)",
        "core.types -> core.imaging.decode (types must not import imaging)",
        "core.types -> torch (types must not import torch)",
        "core.video.probe -> streamlit (video must not import streamlit)",
    ]


def test_an_allowed_arrow_is_not_reported_and_a_stale_one_is():
    fake = {"core.batch.worker": {"core.cli._common"}, "core.batch.summary": set()}
    allowed = {
        ("core.batch.worker", "core.cli._common"): "issue 1: still there",
        ("core.batch.summary", "core.cli.posture"): "issue 1: fixed since",
    }
    assert violations(fake, allowed=allowed) == []
    assert stale_allowances(fake, allowed) == [("core.batch.summary", "core.cli.posture")]


def test_function_level_type_checking_relative_and_dynamic_imports_are_read():
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from core.store import Store\n"
        "def f():\n"
        "    from core.backends.base import PersonBox\n"
        "    import importlib\n"
        "    return importlib.import_module('core.sapiens2.model')\n"
        "from . import angles\n"
        "from .gait import analyze_gait\n"
    )
    known = {"core.measure.angles", "core.measure.gait", "core.store"}
    found = imports_of(source, "core.measure.posture", is_package=False, known=known)
    assert found == {
        "typing",
        "core.store",
        "core.backends.base",
        "importlib",
        "core.sapiens2.model",
        "core.measure.angles",
        "core.measure.gait",
    }


def test_a_cycle_is_found():
    fake = {
        "core.store.store": {"core.store.reports", "pandas"},
        "core.store.reports": {"core.store.export"},
        "core.store.export": {"core.store.store"},
        "core.store.cells": set(),
    }
    cycle = find_cycle(fake)
    assert cycle is not None and cycle[0] == cycle[-1]
    assert set(cycle) == {"core.store.store", "core.store.reports", "core.store.export"}
    assert find_cycle(fake, [("core.store.export", "core.store.store")]) is None
    fake["core.store.reports"] = {"core.store.cells"}
    assert find_cycle(fake) is None


def test_one_rgb_check() -> None:
    # The analysis, the Sapiens2 preprocessing, imaging and the video writer check an RGB image
    # with the same function (they had four rules).
    import inspect

    import numpy as np
    import pytest

    from core import analysis
    from core.errors import InputError
    from core.imaging import _arrays
    from core.sapiens2 import preprocess
    from core.types import check_rgb
    from core.video import writer

    assert _arrays.check_rgb is check_rgb and preprocess.check_image is check_rgb
    for source in (inspect.getsource(analysis.analyze_posture), inspect.getsource(writer._as_rgb)):
        assert "check_rgb(" in source
    for bad in (np.zeros((4, 4), np.uint8), np.zeros((4, 4, 3)), np.zeros((0, 4, 3), np.uint8)):
        with pytest.raises(InputError, match="RGB uint8"):
            check_rgb(bad)


def test_one_box_geometry() -> None:
    # IoU and the inside share were written twice (the lite backend and the tracker).
    from core.backends import lite
    from core.tracking import people, tracker
    from core.types import area, inside_share, iou

    assert people.area is area and people.inside_share is inside_share and tracker.iou is iou
    assert not hasattr(lite, "_iou") and not hasattr(lite, "_inside")
    assert (
        iou((0, 0, 2, 2), (1, 1, 3, 3)) == 1 / 7 and inside_share((0, 0, 4, 4), (1, 1, 2, 2)) == 1
    )
