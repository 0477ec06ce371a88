"""Recognising an uploaded file by its first bytes, not by the name it came with, and
taking a picture without its metadata."""

import io
from typing import IO, NamedTuple

from django.utils.translation import gettext as _


class FileType(NamedTuple):
    signature: bytes
    content_type: str
    extensions: tuple[str, ...]


PDF = FileType(b"%PDF-", "application/pdf", (".pdf",))
DOCX = FileType(
    b"PK\x03\x04",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
)
PNG = FileType(b"\x89PNG\r\n\x1a\n", "image/png", (".png",))
JPEG = FileType(b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg"))


def sniff(upload: IO[bytes], accepted: tuple[FileType, ...]) -> FileType | None:
    """Which of the accepted types the upload's content is (its position is kept)."""
    head = upload.read(16)
    upload.seek(0)
    return next((kind for kind in accepted if head.startswith(kind.signature)), None)


class ImageError(ValueError):
    """The picture cannot be taken; the message is for the user (in Chinese)."""


def clean_image(upload: IO[bytes], kind: FileType, *, max_pixels: int) -> bytes:
    """The picture re-encoded without its metadata, turned upright as the camera
    recorded it.

    A phone's photo carries EXIF: the GPS position where it was taken, the time,
    the device. A 践诺 photo is shown on a public board, so only the pixels
    are kept (a PNG keeps its transparency, nothing else). The pixel count is
    read from the header and checked before the picture is decoded, so a small
    file declaring a huge canvas is refused without the memory it would take.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(upload) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise ImageError(
                    _("图片尺寸过大：%(width)s×%(height)s 像素，上限为 %(max)s 百万像素")
                    % {"width": width, "height": height, "max": max_pixels // 1_000_000}
                )
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            for key in [k for k in upright.info if k != "transparency"]:
                del upright.info[key]
            kept = {str(k): v for k, v in upright.info.items()}
            out = io.BytesIO()
            if kind == JPEG:
                if upright.mode not in ("RGB", "L"):
                    upright = upright.convert("RGB")
                upright.save(out, "JPEG", quality=88)
            else:
                upright.save(out, "PNG", **kept)
    except ImageError:
        raise
    except Image.DecompressionBombError:  # Pillow's own guard, at twice its pixel limit
        raise ImageError(_("图片尺寸过大，拒绝读取")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageError(_("图片已损坏或无法识别，请重新拍摄或另存后上传")) from None
    upload.seek(0)
    return out.getvalue()
