"""Uploads that used to end in a traceback on a page end in one red box (the shared decoder's)."""

from __future__ import annotations

import pytest

from tests.app.helpers import make_subject, open_page
from tests.conftest import shared_path
from tests.imaging.test_decode_limits import grey_png

pytestmark = pytest.mark.shared


@pytest.mark.parametrize(
    ("page", "key"),
    [("pages/posture.py", "posture_upload"), ("pages/skin_roi.py", "skin_upload")],
)  # fmt: skip
def test_a_99_megapixel_line_is_one_error_box(page, key):
    # 99 000 000 x 1 is under the 100 Mpx limit; decoding it raised MemoryError in the page. (The
    # Relight page makes the same decode_image call, but only with a Sapiens2 normal model.)
    shared_path("models")  # both pages load the lite backend before the upload box
    make_subject()
    at = open_page(page)
    at.file_uploader(key=key).set_value(("line.png", grey_png(99_000_000, 1), "image/png"))
    at.run()
    assert [e.message for e in at.exception] == []
    (box,) = at.error
    assert "99000000x1; each side must be 1 to 32768 pixels" in box.value
    assert "\n" not in box.value.strip()
