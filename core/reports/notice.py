"""The "measurements, not diagnoses" notice and the image-plane note, as plain text: the pages
(``core.app.notice``), the PDF report and the CLI print the same words."""

from __future__ import annotations

DISCLAIMER = (
    "Measurements, not diagnoses. Sapiens Measure is not a medical device: its numbers are "
    "2D image-plane estimates from a vision model and must be read by a qualified person."
)
PLANE_NOTE = (
    "All angles are 2D image-plane angles: they depend on camera height and on how square the "
    "subject stands to the camera."
)
UNRELIABLE_LEGEND = (
    'A value followed by "(unreliable)", or drawn as a ring in a chart, was stored as unreliable: '
    "a point it uses scored low, the camera was not square to its plane, or the photo and its "
    "mirror image disagreed. It is shown, not to be relied on."
)
