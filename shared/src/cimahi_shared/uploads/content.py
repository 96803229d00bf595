"""What an uploaded file really is, decided from its bytes (never from its name or claimed type).

Only PDF, JPEG and PNG are accepted. Images are fully decoded with Pillow, so a corrupt image or
another format behind a PNG/JPEG signature is refused; PDFs must start with the ``%PDF-`` header
and end with an ``%%EOF`` marker (no PDF parser: PDFs are never rendered by the service).
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
_PDF_HEADER = b"%PDF-"
_PDF_TRAILER_WINDOW = 1024  # %%EOF must appear in the last KiB (PDF 1.7, 7.5.5 and practice)


# Metadata that can name or locate the person who took a photo: EXIF (camera owner, GPS), XMP,
# IPTC, comments, PNG text chunks. Stripped from every stored image (see ``without_metadata``).
_ORIENTATION = 0x0112  # EXIF tag
_IDENTIFYING_INFO = ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "photoshop")


class UnacceptableContent(ValueError):
    """The bytes are not a PDF, JPEG or PNG, or are corrupt."""


def sniff(data: bytes, *, max_pixels: int) -> str:
    """The media type of ``data`` (PDF, JPEG or PNG), checked deeply; else ``UnacceptableContent``."""
    if data.startswith(_PDF_HEADER):
        _check_pdf(data)
        return PDF
    if data.startswith(_PNG_SIGNATURE):
        _check_image(data, "PNG", max_pixels)
        return PNG
    if data.startswith(_JPEG_SIGNATURE):
        _check_image(data, "JPEG", max_pixels)
        return JPEG
    raise UnacceptableContent("The file is not a PDF, JPEG or PNG.")


def _check_pdf(data: bytes) -> None:
    if len(data) < 16 or not data[5:8].replace(b".", b"").isdigit():
        raise UnacceptableContent("The PDF header is damaged.")
    if b"%%EOF" not in data[-_PDF_TRAILER_WINDOW:]:
        raise UnacceptableContent("The PDF is incomplete (no %%EOF at its end).")


def _check_image(data: bytes, expected: str, max_pixels: int) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[expected]) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise UnacceptableContent("The image has too many pixels.")
                image.verify()
            # verify() leaves the image unusable; decode every pixel of a fresh copy.
            with Image.open(io.BytesIO(data), formats=[expected]) as image:
                image.load()
    except UnacceptableContent:
        raise
    except Exception as exc:  # Pillow raises many kinds for corrupt data
        raise UnacceptableContent(f"The {expected} image is corrupt or truncated.") from exc


def without_metadata(data: bytes, content_type: str) -> bytes:
    """An image re-encoded without EXIF/XMP/IPTC/comments/text chunks; other files unchanged.

    A photo or scan must not tell the officers who read it more than its pixels: the camera's
    metadata can name its owner, the device and the place it was taken (GPS), which would also
    unmask the author of an anonymous complaint. JPEGs keep their
    quantisation tables (``quality="keep"``, no visible loss) unless an EXIF rotation must be
    applied to the pixels first; PNGs are re-encoded losslessly. Images without such metadata
    are stored as uploaded.
    """
    if content_type not in (JPEG, PNG):
        return data
    with Image.open(io.BytesIO(data)) as image:
        has_text = content_type == PNG and bool(getattr(image, "text", None))
        if not has_text and not any(key in image.info for key in _IDENTIFYING_INFO):
            return data
        out = io.BytesIO()
        if content_type == JPEG:
            if image.getexif().get(_ORIENTATION, 1) == 1:
                image.save(out, format="JPEG", quality="keep", optimize=True)
            else:
                upright = ImageOps.exif_transpose(image)
                upright.info.pop("exif", None)
                upright.save(out, format="JPEG", quality=90, optimize=True)
        else:
            image.save(out, format="PNG", optimize=True)
        return out.getvalue()
