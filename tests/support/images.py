"""Photos as a phone makes them: pixels, and beside them where and when they were taken, the device, and a
comment, which no photo kept by Spean may carry."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageChops, PngImagePlugin
from PIL.ExifTags import GPS, IFD, Base

# Poipet's transit centre, as a phone would write it into the photo.
LATITUDE, LONGITUDE = (13.0, 39.0, 25.0), (102.0, 33.0, 52.0)
DEVICE = "PhoneMaker X12"
COMMENT = "taken at the shelter in Phum Kbal Spean"
LOCATION = b"13.6570 N, 102.5644 E"
MOTION = b"\x00\x00\x00\x18ftypmp42" + b"video around the picture" * 40


def picture() -> Image.Image:
    image = Image.new("RGB", (48, 32), (200, 60, 40))
    image.paste((30, 90, 160), (8, 6, 30, 26))
    return image


def jpeg_from_a_phone() -> bytes:
    exif = Image.Exif()
    exif[Base.Make] = DEVICE
    gps = exif.get_ifd(IFD.GPSInfo)
    gps.update(
        {GPS.GPSLatitudeRef: "N", GPS.GPSLatitude: LATITUDE, GPS.GPSLongitudeRef: "E", GPS.GPSLongitude: LONGITUDE}
    )
    out = io.BytesIO()
    picture().save(out, "JPEG", quality=95, progressive=True, exif=exif, comment=COMMENT.encode())
    # A motion photo: the seconds around the picture, as a video after the image's end.
    return out.getvalue() + MOTION


def png_with_text() -> bytes:
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", COMMENT)
    text.add_itxt("Location", "13.6570 N, 102.5644 E")
    out = io.BytesIO()
    picture().save(out, "PNG", pnginfo=text)
    png = out.getvalue()
    private = b"prVt" + LOCATION
    chunk = struct.pack(">I", len(LOCATION)) + private + struct.pack(">I", zlib.crc32(private))
    # A private chunk before the pixels, and a trailer after the end.
    return png[:33] + chunk + png[33:] + LOCATION


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def same_pixels(first: bytes, second: bytes) -> bool:
    a, b = opened(first).convert("RGB"), opened(second).convert("RGB")
    return a.size == b.size and ImageChops.difference(a, b).getbbox() is None
