"""``report`` and ``export`` file handling: names from a slug of any label, the subject id and the
date; no file replaced without ``--force``; a subject without sessions is an error."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pypdf
import pytest

from core.backends.fake import FakeBackend
from core.store.outfiles import slugify
from tests.cli.conftest import run_json
from tests.cli.scenes import BIG, write_image

#: Labels a person may type: Windows-forbidden characters, Unicode, markup, look-alike dots,
#: reserved device names, a label with no letter at all. (Path separators and control characters
#: are refused by the store itself.)
HOSTILE = ['P:0*0?1 "<x>|', "Zoë Ångström", "李雷", "..x..", "CON", "<script>", "***", "a" * 64]


@pytest.mark.parametrize("label", HOSTILE)
def test_slug_is_a_plain_file_name(label) -> None:
    slug = slugify(label)
    assert slug and len(slug) <= 40
    assert not set(slug) & set('/\\:*?"<>|\x00 ') and not slug.startswith((".", "-"))
    assert slug.upper() not in {"CON", "PRN", "AUX", "NUL"}


def test_slugs_of_known_labels() -> None:
    # Letters and digits of any script stay, each run of other characters is one "-".
    assert slugify('P:0*0?1 "<x>|') == "P-0-0-1-x"
    assert slugify("Zoë Ångström") == "Zoë-Ångström"
    assert slugify("***") == "subject" and slugify("CON") == "CON-"


@pytest.fixture
def two_subjects(cli, install, tmp_path):
    """Two subjects whose labels slug alike, one posture session each, and an empty subject."""
    install(FakeBackend([BIG]))
    image = write_image(tmp_path / "a.png")
    for label in ('P:1', 'P?1'):  # fmt: skip
        assert cli("subject", "add", label, "--consent")[0] == 0
        run_json(cli, "posture", image, "--json", "--save", label)
    assert cli("subject", "add", "EMPTY", "--consent")[0] == 0
    return ("P:1", "P?1")


def test_export_of_two_subjects_into_one_folder_keeps_both(cli, two_subjects, tmp_path) -> None:
    out = tmp_path / "csv"
    files = [
        run_json(cli, "export", label, "--out", out, "--json")["files"] for label in two_subjects
    ]
    assert len(files[0]) == len(files[1]) == 3
    assert not set(files[0]) & set(files[1])  # same slug "P-1", told apart by the subject id
    assert sorted(os.listdir(out)) == sorted(os.path.basename(p) for p in files[0] + files[1])
    for path in files[0] + files[1]:
        assert os.path.basename(path).startswith("P-1_s")


def test_export_never_overwrites_without_force(cli, two_subjects, tmp_path) -> None:
    out = tmp_path / "csv"
    first = Path(run_json(cli, "export", two_subjects[0], "--out", out, "--json")["files"][0])
    marker = b"kept"
    first.write_bytes(marker)
    code, _, err = cli("export", two_subjects[0], "--out", out)
    assert code == 1 and "already exists" in err and "--force" in err
    assert first.read_bytes() == marker  # untouched
    assert cli("export", two_subjects[0], "--out", out, "--force")[0] == 0
    assert first.read_bytes() != marker


def test_empty_subject_is_an_error(cli, two_subjects, tmp_path) -> None:
    for argv in (("export", "EMPTY", "--out", tmp_path / "csv"),
                 ("report", "EMPTY", "--out", tmp_path / "r.pdf")):  # fmt: skip
        code, out, err = cli(*argv)
        assert code == 1 and "has no saved sessions" in err, argv
    assert not (tmp_path / "csv").exists() and not (tmp_path / "r.pdf").exists()


def test_report_writes_a_pdf_and_keeps_an_existing_one(cli, two_subjects, tmp_path) -> None:
    path = tmp_path / "r.pdf"
    got = run_json(cli, "report", two_subjects[0], "--out", path, "--paper", "letter", "--json")
    assert got["file"] == str(path)
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    assert float(reader.pages[0].mediabox.width) == pytest.approx(612, abs=0.5)  # 8.5 in
    assert "Sapiens Measure report: P:1" in reader.pages[0].extract_text()
    before = path.read_bytes()
    code, _, err = cli("report", two_subjects[0], "--out", path)
    assert code == 1 and "already exists" in err and path.read_bytes() == before
    assert cli("report", two_subjects[0], "--out", path, "--force")[0] == 0
    # A folder as --out: the file is named like the exports.
    folder = tmp_path / "reports"
    folder.mkdir()
    named = run_json(cli, "report", two_subjects[1], "--out", folder, "--json")["file"]
    assert os.path.dirname(named) == str(folder)
    assert os.path.basename(named).startswith("P-1_s") and named.endswith("_report.pdf")
    # A folder that does not exist yet, written with a trailing "/": created.
    named = run_json(cli, "report", two_subjects[1], "--out", f"{tmp_path / 'new'}/", "--json")
    assert os.path.dirname(named["file"]) == str(tmp_path / "new")
    code, _, err = cli("report", two_subjects[1], "--out", tmp_path / "r.txt")
    assert code == 1 and ".pdf" in err
