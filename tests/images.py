"""Real pictures for upload tests, with or without the metadata a phone writes."""

import io

from PIL import Image
from PIL.PngImagePlugin import PngInfo

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg(*, gps: bool = False, size=(40, 20), orientation: int | None = None) -> bytes:
    """A JPEG; with ``gps`` its EXIF holds a position, a camera and a time."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0132] = "2026:11:30 10:00:00"  # DateTime
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (36.0, 40.0, 30.0), 3: "E", 4: (117.0, 1.0, 2.0)})
    if orientation is not None:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes() if (gps or orientation) else b"")
    return out.getvalue()


def png(*, text: str = "") -> bytes:
    """A PNG; with ``text`` it carries a tEXt chunk (a comment, an author, a place)."""
    image = Image.new("RGBA", (10, 10), (0, 0, 255, 128))
    info = PngInfo()
    if text:
        info.add_text("Comment", text)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()
