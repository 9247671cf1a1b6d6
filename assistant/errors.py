"""Errors that reach the user as one clear line."""

from __future__ import annotations

import errno
import os
from pathlib import Path


class UserError(Exception):
    """A problem the user can fix: shown as one line, exit status 2.

    The message says what went wrong and what to do about it.
    """

    exit_code = 2


class StorageError(UserError):
    """The data folder cannot be written or read; ``transient`` ones (a full disk,
    a folder that turned read-only) go away once someone makes room or fixes it."""

    transient = False


class StorageFull(StorageError):
    transient = True


class StorageReadOnly(StorageError):
    transient = True


class StorageDamaged(StorageError):
    pass


def free_bytes(folder: Path) -> int:
    try:
        st = os.statvfs(folder)
    except OSError:
        return 1 << 30
    return st.f_bavail * st.f_frsize


def read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY) or not os.access(folder, os.W_OK)
    except OSError:
        return True


def os_storage_error(e: OSError, folder: Path, what: str) -> StorageError | None:
    """The StorageError for an OSError while writing ``what`` in the data folder, if it is one."""
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFull(f"the disk that holds {folder} is full: cannot save {what}; make room, then go on: "
                           "nothing confirmed is lost")
    if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StorageReadOnly(f"the data folder {folder} cannot be written ({e.strerror}): cannot save {what}; "
                               "make it writable again, then go on: nothing confirmed is lost")
    return None
