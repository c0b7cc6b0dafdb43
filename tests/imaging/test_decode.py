"""Safe decoding: modes, EXIF orientation, metadata-free export, and every bad-input case."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from core.errors import InputError
from core.imaging.decode import decode_image, encode_jpeg, encode_png
from tests.conftest import shared_path


def _png_header(width: int, height: int) -> bytes:
    """A PNG signature, an IHDR for an 8-bit RGB image of the given size, and IEND: no pixels at all."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def _pil_bytes(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def test_png_round_trip_is_exact():
    rgb = np.random.default_rng(0).integers(0, 256, (7, 5, 3), dtype=np.uint8)
    np.testing.assert_array_equal(decode_image(encode_png(rgb)), rgb)


def test_real_photos_decode_to_rgb_uint8():
    # Sizes from shared/data/SOURCES.md; cameraman is a grey PNG, so its three channels are equal.
    cam = decode_image(shared_path("data", "cameraman_standing.png"))
    assert cam.shape == (512, 512, 3) and cam.dtype == np.uint8
    np.testing.assert_array_equal(cam[..., 0], cam[..., 2])
    assert decode_image(shared_path("data", "hand_closeup.jpg")).shape == (480, 640, 3)


def test_exif_orientation_6_is_applied():
    # Stored 40 wide x 20 high with a red block at the stored top-left. Orientation 6 means "rotate
    # 90 degrees clockwise to display": the display is 20 wide x 40 high, and the stored top-left
    # corner lands at the display's top-right.
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:8, :8] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = 6
    data = _pil_bytes(Image.fromarray(stored), "JPEG", quality=95, exif=exif.tobytes())
    out = decode_image(data)
    assert out.shape == (40, 20, 3)
    assert out[2, 17, 0] > 200 and out[2, 17, 1] < 60  # top-right is red
    assert out[37, 2, 0] < 60  # bottom-left is not


def test_exported_images_carry_no_exif():
    exif = Image.Exif()
    exif[0x0112] = 1
    exif[0x010F] = "SecretCam"  # Make
    src = _pil_bytes(Image.new("RGB", (8, 8), (9, 9, 9)), "JPEG", exif=exif.tobytes())
    assert Image.open(io.BytesIO(src)).getexif()  # the input does carry EXIF
    rgb = decode_image(src)
    for data in (encode_jpeg(rgb), encode_png(rgb)):
        im = Image.open(io.BytesIO(data))
        assert len(im.getexif()) == 0
        assert not {"exif", "xmp", "icc_profile", "XML:com.adobe.xmp"} & set(im.info)
        assert b"SecretCam" not in data


@pytest.mark.parametrize(
    ("mode", "value", "expected"),
    [
        ("L", 77, (77, 77, 77)),
        ("LA", (77, 0), (255, 255, 255)),  # fully transparent -> the white background
        ("LA", (77, 255), (77, 77, 77)),
        ("RGBA", (10, 20, 30, 0), (255, 255, 255)),
        ("RGBA", (10, 20, 30, 255), (10, 20, 30)),
        ("CMYK", (0, 0, 0, 0), (255, 255, 255)),  # no ink is white
    ],
)
def test_modes_are_normalised_to_rgb(mode, value, expected):
    out = decode_image(
        _pil_bytes(Image.new(mode, (3, 2), value), "PNG" if mode != "CMYK" else "TIFF")
    )
    assert out.shape == (2, 3, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[1, 2], expected)


def test_palette_image_with_transparency():
    im = Image.new("P", (2, 1))
    im.putpalette([200, 0, 0, 0, 200, 0] + [0] * 762)
    im.putpixel((1, 0), 1)
    out = decode_image(_pil_bytes(im, "PNG", transparency=0))
    np.testing.assert_array_equal(out[0], [[255, 255, 255], [0, 200, 0]])  # index 0 transparent


def test_16_bit_grey_is_scaled():
    # 0..65535 maps to 0..255 by /257: 13107 -> 51, 65535 -> 255.
    grey = (np.arange(6, dtype=np.uint16) * 13107).reshape(2, 3)
    out = decode_image(_pil_bytes(Image.fromarray(grey), "PNG"))
    np.testing.assert_array_equal(out[..., 1], [[0, 51, 102], [153, 204, 255]])


def test_heic_when_available():
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    data = _pil_bytes(Image.new("RGB", (24, 16), (200, 40, 40)), "HEIF", quality=95)
    out = decode_image(data)
    assert out.shape == (16, 24, 3)
    np.testing.assert_allclose(out[8, 12], (200, 40, 40), atol=6)  # lossy codec


def test_pixel_limit_is_checked_from_the_header():
    # 20000 * 20000 = 400e6 pixels; only ~60 header bytes exist, so nothing is allocated.
    with pytest.raises(InputError, match=r"20000x20000 = 400 Mpx, over the 100 Mpx limit"):
        decode_image(_png_header(20000, 20000))
    with pytest.raises(InputError, match=r"10x10 = 100 px, over the 99 px limit"):
        decode_image(encode_png(np.zeros((10, 10, 3), np.uint8)), max_pixels=99)


def test_pixel_limit_is_passed_in_by_the_callers_with_settings(monkeypatch):
    # decode_image reads no settings (imaging sits below core.config): its default is the one the
    # settings start from, and the CLI (like the pages and batch) passes the configured value.
    from core.cli._common import decode_image_bytes
    from core.config import Settings
    from core.limits import MAX_IMAGE_PIXELS

    assert Settings.max_image_pixels == MAX_IMAGE_PIXELS
    monkeypatch.setenv("SAPIENS_MEASURE_MAX_IMAGE_PIXELS", "50")
    png = encode_png(np.zeros((10, 10, 3), np.uint8))
    assert decode_image(png).shape == (10, 10, 3)  # the environment is not read here
    with pytest.raises(
        InputError, match=r"tiny.png: image is 10x10 = 100 px, over the 50 px limit"
    ):
        decode_image_bytes(png, "tiny.png")  # 100 px > 50


def test_truncated_jpeg():
    data = shared_path("data", "hand_closeup.jpg").read_bytes()
    with pytest.raises(InputError, match="truncated"):
        decode_image(data[: len(data) // 2])


def test_header_only_png_is_truncated():
    with pytest.raises(InputError, match="truncated"):
        decode_image(_png_header(4, 4))


def test_text_file_named_jpg(tmp_path):
    fake = tmp_path / "holiday.jpg"
    fake.write_text("this is not a picture\n")
    with pytest.raises(InputError, match="holiday.jpg is not an image"):
        decode_image(fake)


@pytest.mark.parametrize("data", [b"", "file"])
def test_empty_input(tmp_path, data):
    if data == "file":
        data = tmp_path / "empty.png"
        data.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty \(0 bytes\)"):
        decode_image(data)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        decode_image(tmp_path / "nope.jpg")
    with pytest.raises(InputError, match="is a folder"):
        decode_image(tmp_path)


def test_encode_rejects_bad_arrays():
    with pytest.raises(InputError, match=r"\(H, W, 3\)"):
        encode_png(np.zeros((4, 4), np.uint8))
    with pytest.raises(InputError, match="uint8"):
        encode_jpeg(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(InputError, match="quality"):
        encode_jpeg(np.zeros((4, 4, 3), np.uint8), quality=0)
