"""Sample files made on the fly with Pillow/pypdfium2/zipfile, so tests need no fixtures on disk."""
from __future__ import annotations

import io
import stat
import zipfile

from PIL import Image, ImageDraw


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (120, 80), colour: int = 200, mode: str = "L") -> bytes:
    image = Image.new(mode, size, colour)
    ImageDraw.Draw(image).line((5, 5, size[0] - 5, size[1] - 5), fill=0, width=3)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def tiff_pages(count: int = 3, size: tuple[int, int] = (100, 140)) -> bytes:
    frames = [Image.new("L", size, 60 * i + 40) for i in range(count)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def pdf_pages(count: int = 2, size: tuple[int, int] = (300, 400)) -> bytes:
    """Pillow writes one image per PDF page at 72 dpi, so a page is size[0] x size[1] points."""
    frames = [Image.new("RGB", size, (255, 255 - 40 * i, 255)) for i in range(count)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="PDF", save_all=True, append_images=frames[1:], resolution=72.0)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_with_symlink(link_name: str = "letters/evil.png", target: str = "/etc/passwd") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(link_name)
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, target)
    return buffer.getvalue()


def zip_with_raw_name(name: str, data: bytes = b"x") -> bytes:
    """zipfile.writestr keeps absolute and '..' names as given in ZipInfo, which is what an attacker sends."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo(name), data)
    return buffer.getvalue()
