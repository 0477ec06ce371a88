"""Recognising an uploaded file by its first bytes, not by the name it came with."""

from typing import IO, NamedTuple


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
