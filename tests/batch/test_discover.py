"""File discovery and subject mapping of an archive folder (pure file-system work, no models)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.batch.discover import discover, kind_of
from core.batch.subjects import assign_subjects, read_subject_map
from core.errors import InputError


def _touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")


def test_kind_by_extension_is_case_insensitive() -> None:
    assert kind_of(Path("a.JPG")) == "posture"
    assert kind_of(Path("a.heic")) == "posture"
    assert kind_of(Path("a.MkV")) == "gait"
    assert kind_of(Path("a.txt")) is None


def test_discover_sorts_skips_and_filters(tmp_path: Path) -> None:
    _touch(tmp_path, "P02/b.png", "P01/a.jpeg", "P01/walk.mp4", "P01/notes.txt", ".hidden/x.png")
    found = discover(tmp_path)
    assert [f.relpath for f in found.files] == ["P01/a.jpeg", "P01/walk.mp4", "P02/b.png"]
    assert [f.kind for f in found.files] == ["posture", "gait", "posture"]
    assert [s.relpath for s in found.skipped] == ["P01/notes.txt"]

    photos = discover(tmp_path, kind="posture")
    assert [f.relpath for f in photos.files] == ["P01/a.jpeg", "P02/b.png"]
    assert "--kind posture" in {s.relpath: s.reason for s in photos.skipped}["P01/walk.mp4"]


def test_discover_excludes_the_runs_own_files(tmp_path: Path) -> None:
    _touch(tmp_path, "P01/a.png", "summary.csv")
    found = discover(tmp_path, exclude=(tmp_path / "summary.csv",))
    assert found.skipped == ()


def test_discover_refuses_a_file_and_a_bad_kind(tmp_path: Path) -> None:
    _touch(tmp_path, "a.png")
    with pytest.raises(InputError, match="not a folder"):
        discover(tmp_path / "a.png")
    with pytest.raises(InputError, match="choose one of"):
        discover(tmp_path, kind="photos")


def test_subjects_from_folder_and_filename(tmp_path: Path) -> None:
    _touch(tmp_path, "P01/x.png", "loose.png", "P02_front.png", "P03/P04_side.png")
    files = discover(tmp_path).files
    by_folder, skipped = assign_subjects(files, mode="folder")
    assert {m.relpath: s for m, s in by_folder} == {"P01/x.png": "P01", "P03/P04_side.png": "P03"}
    assert {s.relpath for s in skipped} == {"loose.png", "P02_front.png"}

    by_name, skipped = assign_subjects(files, mode="filename")
    assert {m.relpath: s for m, s in by_name} == {"P02_front.png": "P02", "P03/P04_side.png": "P04"}
    assert {s.relpath for s in skipped} == {"P01/x.png", "loose.png"}


def test_subjects_from_csv_map(tmp_path: Path) -> None:
    _touch(tmp_path, "a/1.png", "b/2.png", "b/3.png")
    map_csv = tmp_path / "MAP.csv"
    map_csv.write_text("file,subject\na/1.png,S1\n2.png, S2 \n", encoding="utf-8")
    mapping = read_subject_map(map_csv)
    assert mapping == {"a/1.png": "S1", "2.png": "S2"}
    assigned, skipped = assign_subjects(discover(tmp_path).files, mode="csv", subject_map=mapping)
    assert {m.relpath: s for m, s in assigned} == {"a/1.png": "S1", "b/2.png": "S2"}
    assert [s.relpath for s in skipped] == ["b/3.png"]
    assert "not listed" in skipped[0].reason


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("name,who\na.png,S1\n", "columns 'file' and 'subject'"),
        ("file,subject\na.png,S1\na.png,S2\n", "mapped to both"),
        ("file,subject\na.png,\n", "must be filled"),
    ],
)
def test_bad_subject_maps_are_refused(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "MAP.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=match):
        read_subject_map(path)


def test_csv_mode_needs_a_map() -> None:
    with pytest.raises(InputError, match="--map"):
        assign_subjects([], mode="csv")
