"""Safe image decoding (pixel limit, EXIF orientation, any mode to RGB uint8) and metadata-free export.

Uploaded files are untrusted: the pixel count is read from the header and checked *before* any
pixel is decoded, so a small file that expands to gigabytes (a decompression bomb) is refused
cheaply. Exported PNG/JPEG bytes carry no EXIF or other metadata (no GPS, no camera serial).
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from core.errors import InputError
from core.imaging._arrays import check_rgb
from core.limits import MAX_IMAGE_PIXELS

#: Decoded in addition to Pillow's own formats when the ``pillow_heif`` package is installed.
HEIF_AVAILABLE: bool | None = None  # None until the first decode looked for it


def _register_heif() -> None:
    # Registering is a side effect on Pillow's plugin table, so it happens on first use, not import.
    global HEIF_AVAILABLE
    if HEIF_AVAILABLE is None:
        try:
            import pillow_heif
        except ImportError:
            HEIF_AVAILABLE = False
        else:
            pillow_heif.register_heif_opener()
            HEIF_AVAILABLE = True


def pixels_text(n: int) -> str:
    """A pixel count for messages: "400 Mpx" for big numbers, "99 px" for small ones."""
    return f"{n / 1e6:.0f} Mpx" if n >= 1_000_000 else f"{n} px"


#: Longest image side decoded, pixels. Pillow's row buffers fail (MemoryError) long before the pixel
#: limit for an image of 99 000 000 x 1; no camera or scan comes near this.
MAX_SIDE_PX = 32_768
#: Largest image file read, bytes: an uncompressed 100 Mpx RGB image (BMP, PPM, TIFF) is 300 MB.
MAX_IMAGE_FILE_BYTES = 512 * 2**20


def one_line(text: object) -> str:
    """``text`` on one line: decoder messages (a truncated HEIC's, for one) can span several."""
    return " ".join(str(text).split())


def _open_regular(path: Path, kind: str) -> int:
    """An fd of ``path`` (symlinks followed) after checking with fstat that it is a regular file.

    O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer; fstat on the
    opened fd (not stat on the name) checks the very file that will be read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder, not {_article(kind)} {kind}") from None
    except OSError as exc:
        raise InputError(f"{path} cannot be read ({exc.strerror or exc})") from None
    mode = os.fstat(fd).st_mode
    if stat.S_ISREG(mode):
        return fd
    os.close(fd)
    if stat.S_ISDIR(mode):
        raise InputError(f"{path} is a folder, not {_article(kind)} {kind}")
    what = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device or socket"
    raise InputError(f"{path} is {what}, not a regular file; only plain files are read")


def check_user_file(path: str | Path, *, kind: str = "file") -> int:
    """The size in bytes of a regular file the user named (for decoders that open it themselves);
    ``InputError`` when it is missing, a folder, a FIFO, a device or unreadable."""
    fd = _open_regular(Path(path), kind)
    try:
        return os.fstat(fd).st_size
    finally:
        os.close(fd)


def read_user_file(
    path: str | Path, *, kind: str = "file", max_bytes: int = MAX_IMAGE_FILE_BYTES
) -> bytes:
    """The bytes of a regular file the user named, at most ``max_bytes``.

    ``InputError`` (naming the path) when it is missing, a folder, a FIFO or device (also through a
    symlink), unreadable or larger than ``max_bytes``. ``kind`` words the messages ("a folder, not
    an image file").
    """
    path = Path(path)
    fd = _open_regular(path, kind)
    try:
        size = os.fstat(fd).st_size
        if size > max_bytes:
            raise InputError(
                f"{path} is {_mb(size)}, over the {_mb(max_bytes)} limit for {_article(kind)} {kind}"
            )
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:  # it grew while being read
                raise InputError(
                    f"{path} is over the {_mb(max_bytes)} limit for {_article(kind)} {kind}"
                )
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"{path} cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n} bytes"


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _read_bytes(data: bytes | str | Path) -> tuple[bytes, str]:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), "the uploaded image"
    if isinstance(data, (str, Path)):
        return read_user_file(data, kind="image file"), Path(data).name
    raise InputError(f"expected image bytes or a file path, got {type(data).__name__}")


def _open_header(buf: io.BytesIO, what: str) -> Image.Image:
    """Open lazily (header only) with each registered format in turn.

    This is what ``Image.open`` does, minus its global ``Image.MAX_IMAGE_PIXELS`` check: that
    check would refuse some images before ours could name their size, and changing the global
    would affect every other thread of the app.
    """
    Image.init()
    prefix = buf.getvalue()[:16]
    for fmt in Image.ID:
        factory, accept = Image.OPEN[fmt]
        buf.seek(0)
        try:
            if accept is not None and not accept(prefix):
                continue
            return factory(buf, "")
        except Exception:  # noqa: BLE001 - plugins raise anything (struct.error, bomb errors, ...)
            continue  # not this format, or a corrupt header: try the next
    raise InputError(f"{what} is not an image Pillow can read (JPEG, PNG, WebP, HEIC, ...)")


def _to_rgb(im: Image.Image, background: tuple[int, int, int]) -> np.ndarray:
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit grey: scale the full 0-65535 range to 0-255 (65535 / 257 = 255 exactly).
        grey = np.asarray(im, dtype=np.float64) / 257.0
        grey = np.clip(np.rint(grey), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    if im.mode == "F":
        grey = np.clip(np.rint(np.asarray(im, dtype=np.float64)), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    has_alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        im.mode == "P" and "transparency" in im.info
    )
    if has_alpha:
        # Transparent pixels become the background colour instead of whatever RGB they hid.
        rgba = im.convert("RGBA")
        base = Image.new("RGBA", rgba.size, (*background, 255))
        return np.asarray(Image.alpha_composite(base, rgba).convert("RGB"))
    return np.asarray(im.convert("RGB"))


def decode_image(
    data: bytes | str | Path,
    *,
    max_pixels: int = MAX_IMAGE_PIXELS,
    background: tuple[int, int, int] = (255, 255, 255),
) -> np.ndarray:
    """Decode an image file into an upright RGB uint8 array.

    Parameters
    ----------
    data : bytes or path
        The encoded file (JPEG, PNG, WebP, BMP, TIFF, GIF's first frame; HEIC/HEIF when
        ``pillow_heif`` is installed).
    max_pixels : int, optional
        Refuse images with more pixels than this (checked from the header, before decoding).
        Default: ``core.limits.MAX_IMAGE_PIXELS`` (100 Mpx); the app, CLI and batch pass the
        setting ``Settings.max_image_pixels`` (this module reads no settings).
    background : (3,) int
        Colour that transparent pixels are composited onto.

    Returns
    -------
    (H, W, 3) uint8 RGB, with the EXIF orientation applied (so H, W are the displayed size);
    grey, palette, alpha and 16-bit images are converted.

    Raises
    ------
    InputError
        Empty file, not an image, truncated or corrupt data, or more pixels than ``max_pixels``.

    Examples
    --------
    >>> rgb = decode_image(encode_png(np.zeros((2, 3, 3), np.uint8)))
    >>> rgb.shape
    (2, 3, 3)
    """
    raw, what = _read_bytes(data)
    if not raw:
        raise InputError(f"{what} is empty (0 bytes)")
    _register_heif()
    im = _open_header(io.BytesIO(raw), what)
    w, h = im.size
    if w * h > max_pixels:
        raise InputError(
            f"{what}: image is {w}x{h} = {pixels_text(w * h)}, over the {pixels_text(max_pixels)} limit"
        )
    if max(w, h) > MAX_SIDE_PX or min(w, h) < 1:
        raise InputError(f"{what}: image is {w}x{h}; each side must be 1 to {MAX_SIDE_PX} pixels")
    try:
        with warnings.catch_warnings():
            # Our own limit above is the one that applies; Pillow's bomb warning would be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im.load()
    except MemoryError:
        raise InputError(f"{what}: image is {w}x{h}, too large to decode in memory") from None
    except Exception as exc:  # Pillow raises OSError, SyntaxError, zlib errors, ... for bad data
        raise InputError(
            f"{what} is truncated or corrupt and cannot be decoded ({one_line(exc)})"
        ) from None
    try:
        upright = ImageOps.exif_transpose(im)
    except Exception:  # a malformed EXIF block: keep the pixels as stored rather than fail
        upright = im
    try:
        return np.ascontiguousarray(_to_rgb(upright if upright is not None else im, background))
    except MemoryError:
        raise InputError(f"{what}: image is {w}x{h}, too large to decode in memory") from None


def encode_png(rgb: np.ndarray) -> bytes:
    """Encode (H, W, 3) uint8 RGB as PNG bytes with no metadata chunks (no EXIF, text or ICC)."""
    buf = io.BytesIO()
    Image.fromarray(check_rgb(rgb)).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def encode_jpeg(rgb: np.ndarray, *, quality: int = 92) -> bytes:
    """Encode (H, W, 3) uint8 RGB as baseline JPEG bytes with no EXIF/XMP/ICC; ``quality`` 1-95."""
    if not 1 <= int(quality) <= 95:
        raise InputError(f"JPEG quality must be between 1 and 95, got {quality}")
    buf = io.BytesIO()
    Image.fromarray(check_rgb(rgb)).save(buf, format="JPEG", quality=int(quality))
    return buf.getvalue()
