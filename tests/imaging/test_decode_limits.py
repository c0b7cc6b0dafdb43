"""The one decoder's bounds: regular files only, a byte cap, a side limit, one-line messages."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.errors import InputError
from core.imaging.decode import (
    MAX_SIDE_PX,
    check_user_file,
    decode_image,
    encode_png,
    one_line,
    read_user_file,
)


def grey_png(width: int, height: int) -> bytes:
    """A real 8-bit grey PNG of zeros (it compresses ~1000:1, so a huge one is a small file)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    rows = zlib.compress(b"".join(b"\x00" + bytes(width) for _ in range(height)), 9)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def test_a_very_wide_image_is_refused_before_decoding():
    # 99 000 000 x 1 is under the 100 Mpx limit; Pillow's row buffers raised MemoryError on it.
    with pytest.raises(InputError, match=rf"99000000x1; each side must be 1 to {MAX_SIDE_PX}"):
        decode_image(grey_png(99_000_000, 1))
    assert decode_image(grey_png(MAX_SIDE_PX, 1)).shape == (1, MAX_SIDE_PX, 3)  # the limit decodes


def test_fifo_is_refused_without_blocking(tmp_path: Path):
    fifo = tmp_path / "photo.png"
    os.mkfifo(fifo)  # nobody writes to it: a blocking open or read would hang the test
    for call in (
        lambda: decode_image(fifo),
        lambda: read_user_file(fifo),
        lambda: check_user_file(fifo),
    ):
        with pytest.raises(
            InputError, match=r"photo.png is a FIFO \(named pipe\), not a regular file"
        ):
            call()


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_devices_and_symlinks_to_them_are_refused(tmp_path: Path, device: str):
    if not os.path.exists(device):
        pytest.skip(f"{device} does not exist here")
    link = tmp_path / "photo.jpg"
    link.symlink_to(device)
    for path in (Path(device), link):
        with pytest.raises(InputError, match="is a device or socket, not a regular file"):
            decode_image(path)


def test_a_symlink_to_a_regular_file_is_read(tmp_path: Path):
    target = tmp_path / "real.png"
    target.write_bytes(encode_png(np.full((2, 3, 3), 7, np.uint8)))
    (tmp_path / "link.png").symlink_to(target)
    assert decode_image(tmp_path / "link.png").shape == (2, 3, 3)


def test_byte_cap(tmp_path: Path):
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 5000)
    assert len(read_user_file(path, max_bytes=5000)) == 5000
    with pytest.raises(InputError, match="big.bin is 5000 bytes, over the 4999 bytes limit"):
        read_user_file(path, max_bytes=4999)


def test_decoder_messages_become_one_line():
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buf, format="HEIF")
    data = buf.getvalue()
    # Cut inside the pixel data: libheif's message is "Unexpected end of file" + newline + detail.
    with pytest.raises(InputError) as err:
        decode_image(data[: len(data) - 20])
    assert "\n" not in str(err.value) and "truncated or corrupt" in str(err.value)
    assert one_line("a\nb\r\n  c") == "a b c"
