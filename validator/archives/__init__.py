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
    STUB_STARTS,
    UNSUPPORTED,
    Format,
    sniff,
    unsupported,
)
from validator.archives.streams import DEFAULT_LIMITS, HEAD_BYTES, Limits, printable
from validator.archives.walk import walk, zip_after_stub

__all__ = [
    "COMPRESSED",
    "DEFAULT_LIMITS",
    "HEAD_BYTES",
    "STUB_STARTS",
    "UNSUPPORTED",
    "Documents",
    "Event",
    "Format",
    "Limits",
    "Member",
    "NotOpened",
    "Problem",
    "not_read",
    "printable",
    "safe_extract",
    "sniff",
    "special_kind",
    "unsupported",
    "walk",
    "zip_after_stub",
]
