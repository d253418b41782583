"""Reading photos into BGR arrays, with one clear sentence when a file is not a usable image."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from posecheck.errors import InputError

IMAGE_TYPES = ("jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff")

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
    """Read a photo file as BGR, or raise `InputError` saying why not."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist.")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not an image file.")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path} cannot be read (permission denied).")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    return decode_image(data, str(path))
