"""Which encoding a hall's text file was saved in: UTF-8, or the GB18030/GBK of Chinese Windows.

The item importer takes either (the province's exports come both ways); the TOML files must be
UTF-8, and the loader uses the same detection only to tell the technician what the file is.
"""

from __future__ import annotations

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
"""What Notepad's "Unicode" (UTF-16) starts with."""


def decode_utf8_or_gb18030(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without BOM) first, since it rejects non-UTF-8 bytes;
    GB18030 (a superset of GBK) otherwise. Raises UnicodeDecodeError (GB18030's) if neither."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return data.decode("gb18030"), "gb18030"


def looks_utf16(data: bytes) -> bool:
    """A UTF-16 BOM, or (without one) a NUL in every other byte of the start: ASCII as UTF-16."""
    if data.startswith(UTF16_BOMS):
        return True
    head = data[:200]
    return len(head) >= 4 and (head[1::2].count(0) >= len(head) // 4 or head[0::2].count(0) >= len(head) // 4)
