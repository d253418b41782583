"""Reading photos into BGR arrays, with one clear sentence when a file is not a usable image."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from posecheck.errors import InputError
from posecheck.inputs import read_bytes

IMAGE_TYPES = ("jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff")
#: Larger files are refused before they are read: no photo a camera takes comes near it.
MAX_PHOTO_BYTES = 256 * 1024 * 1024

# OpenCV logs decoder complaints ("IHDR chunk shall be first") to stderr; the user gets our one
# sentence instead.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)


def decode_image(data: bytes, name: str = "the upload") -> NDArray[np.uint8]:
    """Decode an encoded photo to BGR, applying its EXIF orientation (phone photos come upright)."""
    if not data:
        raise InputError(f"{name} is empty (0 bytes), not an image.")
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise InputError(
            f"{name} is not an image posecheck can read (JPEG, PNG, WebP, BMP or TIFF)."
        )
    return image.astype(np.uint8, copy=False)


def read_image(path: str | Path) -> NDArray[np.uint8]:
    """Read a photo file as BGR, or raise `InputError` saying why not (missing, a folder, a
    FIFO or device: only regular files are read, so a FIFO never blocks; too large; not an
    image)."""
    data = read_bytes(path, "image file", max_bytes=MAX_PHOTO_BYTES)
    return decode_image(data, str(path))
