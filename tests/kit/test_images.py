"""An image is kept as its pixels alone: a phone's photo tells where it was taken (a shelter's address) and
on what device, and none of that may be kept with it or sent on. Whatever a caller sends that is not such
an image is refused with the rule it breaks."""

from __future__ import annotations

import pytest

from spean_kit.images import Kept, Refusal, kept
from tests.support.images import (
    COMMENT,
    DEVICE,
    LOCATION,
    MOTION,
    jpeg_from_a_phone,
    opened,
    png_with_text,
    same_pixels,
)

MAX_BYTES = 512 * 1024


def _kept(content_type: str, data: bytes) -> Kept:
    photo = kept(content_type, data, max_bytes=MAX_BYTES)
    assert isinstance(photo, Kept), photo
    return photo


def test_a_jpeg_loses_its_location_device_and_comment_and_keeps_every_pixel() -> None:
    sent = jpeg_from_a_phone()

    photo = _kept("image/jpeg", sent)

    assert photo.media_type == "image/jpeg"
    assert same_pixels(photo.image, sent)
    image = opened(photo.image)
    assert not image.getexif()
    assert "comment" not in image.info
    assert DEVICE.encode() not in photo.image
    assert COMMENT.encode() not in photo.image
    assert MOTION not in photo.image
    assert photo.image.endswith(b"\xff\xd9")


def test_a_png_loses_its_text_and_keeps_every_pixel() -> None:
    sent = png_with_text()

    photo = _kept("image/png; charset=binary", sent)

    assert photo.media_type == "image/png"
    assert same_pixels(photo.image, sent)
    assert opened(photo.image).info == {}
    assert COMMENT.encode() not in photo.image
    assert LOCATION not in photo.image


def test_a_photo_without_metadata_is_kept_as_sent() -> None:
    stripped = _kept("image/jpeg", jpeg_from_a_phone()).image

    assert _kept("IMAGE/JPEG", stripped).image == stripped


@pytest.mark.parametrize(
    ("content_type", "data", "status", "rule"),
    [
        (None, jpeg_from_a_phone(), 415, "media_type"),
        ("image/gif", b"GIF89a" + bytes(20), 415, "media_type"),
        ("application/json", b'{"photo": 1}', 415, "media_type"),
        ("image/jpeg", b"\xff\xd8\xff" + bytes(MAX_BYTES), 413, "too_large"),
        ("image/jpeg", png_with_text(), 422, "image_mismatch"),
        ("image/png", b"", 422, "image_mismatch"),
        ("image/jpeg", jpeg_from_a_phone()[:40], 422, "image_unreadable"),
        ("image/jpeg", jpeg_from_a_phone()[: -len(MOTION) - 40], 422, "image_unreadable"),
        ("image/png", png_with_text()[:60], 422, "image_unreadable"),
    ],
)
def test_what_is_not_a_photo_kept_here_is_refused_with_its_rule(
    content_type: str | None, data: bytes, status: int, rule: str
) -> None:
    refused = kept(content_type, data, max_bytes=MAX_BYTES)

    assert isinstance(refused, Refusal)
    assert (refused.status, refused.rule) == (status, rule)
