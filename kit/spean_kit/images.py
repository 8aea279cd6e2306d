"""An image as a service keeps it or sends it on: its pixels alone.

A phone's JPEG carries where and when it was taken (EXIF GPS), the device, often a thumbnail of the
uncropped picture, sometimes a video appended after the image; a PNG may carry text chunks. A photo of a
victim taken in a shelter would otherwise tell its address to whoever reads it, in Spean or across the
border. Those parts are dropped without decoding the image again (no quality is lost, and no image
library parses what a caller sent).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

JPEG, PNG = "image/jpeg", "image/png"
SIGNATURES = {JPEG: b"\xff\xd8\xff", PNG: b"\x89PNG\r\n\x1a\n"}

# What of a JPEG is kept: the segments a decoder needs (frame, tables, restart interval, scans), and of the
# application segments only JFIF (APP0), a colour profile (APP2) and Adobe's colour transform (APP14).
# EXIF and XMP (APP1), IPTC (APP13), makers' notes, a second picture (MPF), comments (COM), and whatever
# follows the image's end (a phone's motion-photo video, a depth map) all go.
JPEG_KEPT_APPLICATIONS = {0xE0: b"JFIF\x00", 0xE2: b"ICC_PROFILE\x00", 0xEE: b"Adobe"}
JPEG_SOS, JPEG_EOI = 0xDA, 0xD9
JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
# What of a PNG is kept: its critical chunks (upper-case first letter) and the ancillary ones that change how
# its pixels look. Text, EXIF, times, private chunks and whatever follows IEND go.
PNG_KEPT_ANCILLARY = frozenset({b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"bKGD", b"pHYs"})


@dataclass(frozen=True)
class Refusal:
    """Why bytes are not an image kept here: the HTTP status, the rule broken, and the rule in words."""

    status: int
    rule: str
    message: str


UNSUPPORTED = Refusal(415, "media_type", "an image is sent as image/jpeg or image/png")


@dataclass(frozen=True)
class Kept:
    """An image as it is kept: its media type and its pixels, without its metadata."""

    media_type: str
    image: bytes


def kept(content_type: str | None, data: bytes, *, max_bytes: int) -> Kept | Refusal:
    """The image sent as `data` with `content_type` (a request's Content-Type, say), as it is to be kept, or
    why it is refused."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in SIGNATURES:
        return UNSUPPORTED
    if len(data) > max_bytes:
        return Refusal(413, "too_large", f"an image is at most {max_bytes} bytes")
    if not data.startswith(SIGNATURES[media_type]):
        return Refusal(422, "image_mismatch", f"the data is not a {media_type} image")
    image = _jpeg_without_metadata(data) if media_type == JPEG else _png_without_metadata(data)
    if image is None:
        return Refusal(422, "image_unreadable", f"the {media_type} image is cut short")
    return Kept(media_type, image)


def _jpeg_without_metadata(data: bytes) -> bytes | None:
    kept_parts = [data[:2]]
    at = 2
    while at + 2 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # a fill byte before a marker
            at += 1
            continue
        if marker == JPEG_EOI:
            return b"".join(kept_parts) + data[at : at + 2]
        if marker in JPEG_STANDALONE:
            kept_parts.append(data[at : at + 2])
            at += 2
            continue
        if at + 4 > len(data):
            return None
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        end = at + 2 + length
        if length < 2 or end > len(data):
            return None
        if marker == JPEG_SOS:
            scan_end = _scan_end(data, end)
            if scan_end is None:
                return None
            kept_parts.append(data[at:scan_end])
            end = scan_end
        elif _jpeg_segment_kept(marker, data[at + 4 : end]):
            kept_parts.append(data[at:end])
        at = end
    return None


def _jpeg_segment_kept(marker: int, payload: bytes) -> bool:
    if marker in JPEG_KEPT_APPLICATIONS:
        return payload.startswith(JPEG_KEPT_APPLICATIONS[marker])
    return not (0xE0 <= marker <= 0xEF or marker == 0xFE)


def _scan_end(data: bytes, at: int) -> int | None:
    """Where the entropy-coded data of a scan that starts at `at` ends: at the first marker that is neither
    a stuffed 0xFF byte nor a restart."""
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 1 >= len(data):
            return None
        following = data[at + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            at += 2
        elif following == 0xFF:
            at += 1
        else:
            return at


def _png_without_metadata(data: bytes) -> bytes | None:
    kept_parts = [data[:8]]
    at = 8
    while at + 12 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        end = at + 12 + length
        if end > len(data):
            return None
        if kind[:1].isupper() or kind in PNG_KEPT_ANCILLARY:
            kept_parts.append(data[at:end])
        if kind == b"IEND":
            return b"".join(kept_parts)
        at = end
    return None
