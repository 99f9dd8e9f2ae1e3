"""Look inside archives without extracting them, and extract artifact archives safely.

``sniff`` tells formats from magic bytes; ``streams`` decompresses and meters bytes against
the ``Limits``; ``walk`` yields the ``events`` of every file inside an archive, reading zip
and tar itself and the formats of Unix packages (ar, cpio, rpm) through ``unix``;
``members`` names what a member is; ``extract`` writes an artifact archive to disk.
Container images are read by ``validator.images``, on top of the walker.
"""

from validator.archives.events import Documents, Event, Member, NotOpened, Problem
from validator.archives.extract import safe_extract
from validator.archives.members import not_read, special_kind
from validator.archives.sniff import (
    COMPRESSED,
    DISC_END,
    DISC_START,
    STUB_STARTS,
    UNSUPPORTED,
    Appended,
    Format,
    after_script,
    disc_image,
    elf_end,
    is_appimage,
    is_dmg,
    sniff,
    unsupported,
)
from validator.archives.streams import DEFAULT_LIMITS, HEAD_BYTES, Limits, printable
from validator.archives.walk import self_extracting, walk, zip_after_stub

__all__ = [
    "COMPRESSED",
    "DEFAULT_LIMITS",
    "DISC_END",
    "DISC_START",
    "HEAD_BYTES",
    "STUB_STARTS",
    "UNSUPPORTED",
    "Appended",
    "Documents",
    "Event",
    "Format",
    "Limits",
    "Member",
    "NotOpened",
    "Problem",
    "after_script",
    "disc_image",
    "elf_end",
    "is_appimage",
    "is_dmg",
    "not_read",
    "printable",
    "safe_extract",
    "self_extracting",
    "sniff",
    "special_kind",
    "unsupported",
    "walk",
    "zip_after_stub",
]
