"""Byte streams that misbehave the way real files and disks do."""

from __future__ import annotations

import errno
import io


class FailsAfterHead(io.RawIOBase):
    """A stream whose first read works and whose next read fails, like a dying disk."""

    def __init__(self, head: bytes) -> None:
        self.head = head

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.head:
            head, self.head = self.head, b""
            return head
        raise OSError(errno.EIO, "Input/output error")
