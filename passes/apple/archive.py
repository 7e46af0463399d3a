"""The .pkpass zip, with the entries that are the same for every pass written once.

Of a pass's files only pass.json, manifest.json and signature differ from one member to the
next; the images and the pass.strings are the program's. Their part of the zip (local headers,
data, CRCs, and their central-directory records) is made once by `zipfile` itself. A pass then
appends its three entries in zipfile's own header formats and writes the directory: a few
struct.packs and three CRCs instead of a ZipFile per pass, which cost a third of the RSA
signature (bench/passes.py).

Entries are stored, not deflated: the PNGs are compressed already and the rest is a few
kilobytes, while a deflate stream per entry cost more than the signature.
"""

from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib
from collections.abc import Iterable, Mapping

# As zipfile writes a stored entry: made on Unix, version 2.0, rw-r--r--, no data descriptor.
_VERSION = 20
_UNIX = 3
_EXTERNAL_ATTR = 0o644 << 16
# A pass is a few hundred kilobytes at most: far from where zip64 would be needed.
_MAX_ARCHIVE = 2**31


def _dos_stamp(moment: float) -> tuple[int, int]:
    """(time, date) fields of a zip header; zip has no time zone, UTC is written."""
    t = time.gmtime(moment)
    return (
        t.tm_hour << 11 | t.tm_min << 5 | t.tm_sec // 2,
        (t.tm_year - 1980) << 9 | t.tm_mon << 5 | t.tm_mday,
    )


class PassArchive:
    """Zips passes whose first entries are always `static` (name -> bytes, in that order)."""

    def __init__(self, static: Mapping[str, bytes], made_at: float | None = None) -> None:
        made_at = time.time() if made_at is None else made_at
        buffer = io.BytesIO()
        date_time = time.gmtime(made_at)[:6]
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, data in static.items():
                info = zipfile.ZipInfo(name, date_time)
                info.create_system = _UNIX
                info.external_attr = _EXTERNAL_ATTR
                archive.writestr(info, data)
        raw = buffer.getvalue()
        end = raw[-zipfile.sizeEndCentDir :]
        (_sig, _disk, _cd_disk, _n, count, cd_size, cd_offset, comment) = struct.unpack(
            zipfile.structEndArchive, end
        )
        if comment or count != len(static) or cd_offset + cd_size + len(end) != len(raw):
            raise ValueError("zipfile wrote an archive of an unexpected layout")
        self._entries = raw[:cd_offset]
        self._directory = raw[cd_offset : cd_offset + cd_size]
        self._count = count

    def build(self, files: Iterable[tuple[str, bytes]], now: float | None = None) -> bytes:
        """The whole zip: the static entries, then these (name, data) pairs."""
        dostime, dosdate = _dos_stamp(time.time() if now is None else now)
        parts = [self._entries]
        directory = [self._directory]
        offset = len(self._entries)
        count = self._count
        for name, data in files:
            encoded = name.encode("ascii")  # our own file names: ASCII, so no UTF-8 flag
            crc = zlib.crc32(data)
            size = len(data)
            header = struct.pack(
                zipfile.structFileHeader,
                zipfile.stringFileHeader,
                _VERSION,
                0,  # the upper byte of the version needed, as zipfile writes it
                0,  # flags: sizes and CRC are in the header
                zipfile.ZIP_STORED,
                dostime,
                dosdate,
                crc,
                size,
                size,
                len(encoded),
                0,
            )
            directory.append(
                struct.pack(
                    zipfile.structCentralDir,
                    zipfile.stringCentralDir,
                    _VERSION,
                    _UNIX,
                    _VERSION,
                    0,
                    0,
                    zipfile.ZIP_STORED,
                    dostime,
                    dosdate,
                    crc,
                    size,
                    size,
                    len(encoded),
                    0,  # extra
                    0,  # comment
                    0,  # disk number
                    0,  # internal attributes
                    _EXTERNAL_ATTR,
                    offset,
                )
                + encoded
            )
            parts += (header, encoded, data)
            offset += len(header) + len(encoded) + size
            count += 1
        central = b"".join(directory)
        if offset + len(central) > _MAX_ARCHIVE:
            raise ValueError("a pass this large needs zip64")
        parts += (
            central,
            struct.pack(
                zipfile.structEndArchive,
                zipfile.stringEndArchive,
                0,
                0,
                count,
                count,
                len(central),
                offset,
                0,
            ),
        )
        return b"".join(parts)
