"""What a screening's photo may be, and what of it is kept.

A photo is taken only with the person's consent to images (the 2009 minimum standards), and it is kept
as the image alone: a phone's JPEG carries where and when it was taken (EXIF GPS), the device and often
a thumbnail of the uncropped picture, and a PNG may carry text chunks. A photo taken in a shelter would
otherwise tell its address to every reader. Those parts are dropped before the photo is stored, without
decoding the image again (no quality is lost, and no image library parses what a caller sent).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

JPEG, PNG = "image/jpeg", "image/png"
SIGNATURES = {JPEG: b"\xff\xd8\xff", PNG: b"\x89PNG\r\n\x1a\n"}
MAX_BYTES = 512 * 1024
"""The size the SOP's verification information takes for a photo: one taken here may cross unchanged."""

# JPEG segments kept before the scan: the frame, tables and restart interval a decoder needs, JFIF (APP0),
# the colour profile (APP2) and Adobe's colour transform (APP14). Every other application segment (EXIF
# and XMP in APP1, IPTC in APP13, makers' notes elsewhere) and comments (COM) go.
JPEG_KEPT_APPS = frozenset({0xE0, 0xE2, 0xEE})
JPEG_SOS, JPEG_COM, JPEG_EOI = 0xDA, 0xFE, 0xD9
JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
# PNG chunks that carry words or times rather than pixels.
PNG_DROPPED = frozenset({b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"})


@dataclass(frozen=True)
class Refusal:
    """Why a body is not a photo kept here: the HTTP status, the rule broken, and the rule in words."""

    status: int
    rule: str
    message: str


UNSUPPORTED = Refusal(415, "media_type", "a photo is sent as image/jpeg or image/png")
TOO_LARGE = Refusal(413, "too_large", f"a photo is at most {MAX_BYTES} bytes")


@dataclass(frozen=True)
class Kept:
    """A photo as it is kept: its media type and the image without its metadata."""

    media_type: str
    image: bytes


def kept(content_type: str | None, data: bytes) -> Kept | Refusal:
    """The photo sent as `data` with the request's Content-Type, as it is to be kept, or why it is refused."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in SIGNATURES:
        return UNSUPPORTED
    if len(data) > MAX_BYTES:
        return TOO_LARGE
    if not data.startswith(SIGNATURES[media_type]):
        return Refusal(422, "image_mismatch", f"the body is not a {media_type} image")
    image = _jpeg_without_metadata(data) if media_type == JPEG else _png_without_metadata(data)
    if image is None:
        return Refusal(422, "image_unreadable", f"the {media_type} image is cut short")
    return Kept(media_type, image)


def _jpeg_without_metadata(data: bytes) -> bytes | None:
    kept_parts = [data[:2]]
    at = 2
    while True:
        if at + 2 > len(data) or data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker in JPEG_STANDALONE:
            kept_parts.append(data[at : at + 2])
            at += 2
            continue
        if marker == JPEG_EOI:
            return b"".join(kept_parts) + data[at : at + 2]
        if at + 4 > len(data):
            return None
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        end = at + 2 + length
        if length < 2 or end > len(data):
            return None
        if marker == JPEG_SOS:
            # Metadata comes before the first scan; the scans and the tables between them are the image.
            return b"".join(kept_parts) + data[at:]
        application = 0xE0 <= marker <= 0xEF
        if not (marker == JPEG_COM or (application and marker not in JPEG_KEPT_APPS)):
            kept_parts.append(data[at:end])
        at = end


def _png_without_metadata(data: bytes) -> bytes | None:
    kept_parts = [data[:8]]
    at = 8
    while at + 12 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        end = at + 12 + length
        if end > len(data):
            return None
        if kind not in PNG_DROPPED:
            kept_parts.append(data[at:end])
        if kind == b"IEND":
            return b"".join(kept_parts)
        at = end
    return None
