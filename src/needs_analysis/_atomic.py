"""Writes that a killed or failed run cannot leave half done, and operating-system errors as user errors.

Every output of a run (a report pack, ``data/processed/<m>/``, the comparison
files, the demo data) is written under a temporary name beside its target and
moved into place only when complete:

- a folder (:func:`replace_folder`, :func:`writes_folder`) is written into
  ``.<name>.tmp-<pid>-<token>`` and then swapped with the old one in a single
  step (Linux ``renameat2(RENAME_EXCHANGE)``), after which the old one is
  removed. Where that call is missing (other systems, some file systems) the
  old folder is renamed aside (``.<name>.old-<pid>-<token>``), the new one
  renamed in and the old one removed; a run that ended between the two renames
  leaves the old folder aside, and the next run puts it back.
- a file (:func:`replace_file`) is written to
  ``.<name>.tmp-<pid>-<token><suffix>`` and moved over the target with
  :func:`os.replace`.

Either way the target is at any moment the complete old version or the
complete new one; a failed or interrupted run leaves the old version as it
was, and files the new version no longer has do not linger. Before it writes,
a run removes what runs that have ended left behind (:func:`sweep`). The new
files are flushed to disk (``fsync``) before they replace the old ones.

A folder is replaced only when it is missing, empty, or recognisably the
output of an earlier run: it holds its marker file (a pack's
``manifest.json``, ``processed_files.json``) and no file the marker does not
list (:func:`check_replaceable`). Anything else is a user's folder: it is left
alone and the run stops with an error naming the files.

:func:`os_error` turns an :class:`OSError` (permission denied, disk full,
read-only file system, a file where a folder should be...) into a one-line
:class:`~needs_analysis.errors.NeedsAnalysisError` that names the path, what
failed and how to fix it.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import json
import os
import re
import secrets
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ._signals import deferred
from .errors import NeedsAnalysisError

__all__ = ["OutputFolder", "PACK", "PROCESSED", "replace_folder", "writes_folder", "replace_file",
           "check_replaceable", "sweep", "os_error", "guard_os_errors"]


@dataclass(frozen=True)
class OutputFolder:
    """A kind of folder the tool writes whole, recognised by its marker file.

    Attributes
    ----------
    marker : str
        The file in the folder that lists its files.
    listed : callable
        ``listed(parsed_marker)`` -> the relative POSIX paths it lists, or
        None when the marker is not this tool's.
    """

    marker: str
    listed: Callable[[dict], Iterable[str] | None]


#: a report pack: manifest.json lists every other file under "outputs"
PACK = OutputFolder("manifest.json",
                    lambda doc: doc.get("outputs") if doc.get("package") == "needs_analysis" else None)
#: data/processed/<m>/: processed_files.json maps each output to its file name
PROCESSED = OutputFolder("processed_files.json", lambda doc: doc.values())

_LEFTOVER = re.compile(r"(?P<kind>tmp|old)-(?P<pid>\d+)-[0-9a-f]{8}")
_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def _temp_path(target: Path, kind: str, suffix: str = "") -> Path:
    return target.with_name(f".{target.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}{suffix}")


def _alive(pid: int) -> bool:
    """Whether process ``pid`` is running (on this machine)."""
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill(pid, 0) would end the process on Windows
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # ERROR_ACCESS_DENIED: it exists
        code = ctypes.c_ulong()
        try:
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        finally:
            kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except OSError:
            pass


def sweep(target: str | Path) -> None:
    """Clean up beside ``target`` after runs that ended while writing it.

    Removes ``.<name>.tmp-*`` (an unfinished new version, or the old version
    a swap had not yet removed) and ``.<name>.old-*`` entries whose process has
    ended; when ``target`` is missing and such a run had moved the old folder
    aside, that folder is put back instead. Entries of running processes are
    left alone (another run may be writing the same target).

    Parameters
    ----------
    target : str or Path
        The folder or file a run writes.
    """
    target = Path(target)
    prefix = f".{target.name}."
    try:
        names = sorted(os.listdir(target.parent))
    except OSError:
        return
    for name in names:
        found = _LEFTOVER.match(name[len(prefix):]) if name.startswith(prefix) else None
        if found is None or _alive(int(found["pid"])):
            continue
        path = target.parent / name
        if found["kind"] == "old" and not os.path.lexists(target):
            os.rename(path, target)
        else:
            _remove(path)


def check_replaceable(target: str | Path, kind: OutputFolder) -> None:
    """Raise unless ``target`` is missing, empty, or a folder of this kind an earlier run wrote.

    Parameters
    ----------
    target : str or Path
        The folder about to be replaced.
    kind : OutputFolder
        Its marker file and how to read it (:data:`PACK`, :data:`PROCESSED`).

    Raises
    ------
    NeedsAnalysisError
        ``target`` is a file, or a folder holding a file the marker does not
        list (or no marker): replacing it could delete a user's files.
    """
    target = Path(target)
    if not os.path.lexists(target):
        return
    if not target.is_dir():
        raise NeedsAnalysisError("is a file, not a folder", where=str(target),
                                 expected="a folder to write the output into",
                                 fix="move or rename that file, or choose another output folder")
    files = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if not p.is_dir())
    if not files:
        return
    marker = kind.marker
    try:
        doc = json.loads((target / marker).read_text(encoding="utf-8"))
        known = kind.listed(doc) if isinstance(doc, dict) else None
        known = None if known is None else {str(k) for k in known} | {marker}
    except (OSError, ValueError, TypeError, AttributeError):
        known = None
    unknown = files if known is None else [f for f in files if f not in known]
    if not unknown:
        return
    shown = ", ".join(unknown[:3]) + (f" and {len(unknown) - 3} more" if len(unknown) > 3 else "")
    found = (f"the folder exists and was not written by needs-analysis (no {marker} of it): it holds {shown}"
             if known is None else f"the folder holds {len(unknown)} file(s) its {marker} does not list: {shown}")
    raise NeedsAnalysisError(found, where=str(target),
                             expected="a missing or empty folder, or one an earlier run wrote (it is replaced whole)",
                             fix="move those files elsewhere, or choose another output folder")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:  # C library older than glibc 2.28
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):  # kernel or file system without it
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_into_place(new: Path, target: Path) -> None:
    """Make ``new`` the folder ``target``; afterwards ``new`` holds the old folder (or nothing)."""
    with deferred():  # no signal between the two renames of the fallback
        if not os.path.lexists(target):
            os.rename(new, target)
            return
        if _exchange(new, target):
            return
        aside = _temp_path(target, "old")
        os.rename(target, aside)
        try:
            os.rename(new, target)
        except BaseException:
            os.rename(aside, target)
            raise
    _remove(aside)


def _fsync(path: Path, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:  # Windows cannot open folders; the data are written, only not yet flushed
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot fsync a folder
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.EACCES):
            raise
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for folder, _dirs, files in os.walk(root):
        for f in files:
            _fsync(Path(folder) / f)
        _fsync(Path(folder), directory=True)


@contextmanager
def guard_os_errors(doing: str, temp: Path | None = None, target: Path | None = None) -> Iterator[None]:
    """Raise an :class:`OSError` in the block as :func:`os_error`.

    Paths under ``temp`` are named under ``target``; an error that names no
    path (some libraries' write errors) names ``target``.
    """
    try:
        yield
    except OSError as exc:
        if temp is not None and target is not None:
            for attr in ("filename", "filename2"):
                name = getattr(exc, attr, None)
                path = None if name is None or isinstance(name, int) else Path(os.fsdecode(name))
                if path is not None and path.is_relative_to(temp):
                    setattr(exc, attr, str(target / path.relative_to(temp)))
        raise os_error(exc, doing, target) from None


@contextmanager
def replace_folder(target: str | Path, kind: OutputFolder) -> Iterator[Path]:
    """Write a folder as a whole: yield an empty temporary folder beside ``target``, then swap it in.

    Parameters
    ----------
    target : str or Path
        The folder to (re)place; a symbolic link is followed (the folder it
        points to is replaced). Its parent folders are created.
    kind : OutputFolder
        Its marker file (to be written into the temporary folder too) and how
        to read it; see :func:`check_replaceable`.

    Yields
    ------
    Path
        The temporary folder to write into.

    Raises
    ------
    NeedsAnalysisError
        ``target`` is not replaceable (see :func:`check_replaceable`), or an
        operating-system error (see :func:`os_error`), with paths named under
        ``target``.

    Notes
    -----
    When the block raises (or the run is interrupted), the temporary folder is
    removed and ``target`` is left exactly as it was. The left-overs of a
    process that was killed are removed by the next run (:func:`sweep`).
    """
    target = Path(target)
    if target.is_symlink():
        target = target.resolve()
    temp = _temp_path(target, "tmp")
    with guard_os_errors("write", temp, target):
        sweep(target)
        check_replaceable(target, kind)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp.mkdir()  # a random name: FileExistsError would be a one-in-four-billion coincidence
    try:
        with guard_os_errors("write", temp, target):
            yield temp
            _fsync_tree(temp)
            _fsync(target.parent, directory=True)
            _swap_into_place(temp, target)
            _fsync(target.parent, directory=True)
    finally:
        _remove(temp)  # after the swap: the old folder; after a failure: the unfinished new one


def writes_folder(kind: OutputFolder) -> Callable:
    """Decorator: ``fn(folder, ...)`` writes into a temporary folder that then replaces ``folder`` whole.

    Parameters
    ----------
    kind : OutputFolder
        See :func:`replace_folder`.

    Returns
    -------
    callable
        A decorator; the decorated function receives the temporary folder as
        its first argument and its result is returned unchanged (it must not
        contain paths into the temporary folder).
    """
    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(folder, *args, **kwargs):
            with replace_folder(folder, kind) as temp:
                return fn(temp, *args, **kwargs)
        return wrapper
    return decorate


@contextmanager
def replace_file(target: str | Path) -> Iterator[Path]:
    """Write a file as a whole: yield a temporary path beside ``target``, then move it over ``target``.

    The temporary name ends with ``target``'s suffix, so writers that choose the
    format by the extension (pandas, openpyxl) behave as for ``target``. When
    the block raises, the temporary file is removed and ``target`` is left as it
    was.

    Parameters
    ----------
    target : str or Path
        The file to (re)place; its folder is created.

    Yields
    ------
    Path
    """
    target = Path(target)
    with guard_os_errors("write the file", target=target):
        sweep(target)
        target.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_path(target, "tmp", target.suffix)
    try:
        with guard_os_errors("write", temp, target):
            yield temp
            _fsync(temp)
            os.replace(temp, target)
    finally:
        _remove(temp)


#: errno name -> (what failed, how to fix it); other errors use the system's own text
_ERRNO_TEXT: dict[str, tuple[str, str]] = {
    "EACCES": ("permission denied", "give your user permission there (e.g. chmod u+rw) or use another location"),
    "EPERM": ("operation not permitted", "give your user permission there or use another location"),
    "ENOSPC": ("no space left on the disk", "free some disk space or write to another disk"),
    "EDQUOT": ("disk quota exceeded", "free some space in your quota or write to another disk"),
    "EROFS": ("the file system is read-only", "write to a folder on a writable disk"),
    "ENOTDIR": ("a part of the path is a file, not a folder", "check the path; name a folder"),
    "EISDIR": ("is a folder, not a file", "check the path; name a file"),
    "ENOENT": ("not found", "check the path"),
    "EEXIST": ("already exists", "move it away or choose another name"),
    "ENAMETOOLONG": ("the path is too long", "use a shorter path"),
    "EMFILE": ("too many open files", "close other programs or raise the limit (ulimit -n)"),
    "EIO": ("input/output error (disk or network failure)", "check the disk or the network share"),
}


def os_error(exc: OSError, doing: str = "access", path: str | Path | None = None) -> NeedsAnalysisError:
    """One-line user error for an operating-system error: the path, what failed, how to fix it.

    Parameters
    ----------
    exc : OSError
        The error (its ``filename`` names the path when the system gave one).
    doing : str
        What was being done, e.g. ``"read the margins file"``, ``"write"``.
    path : str or Path, optional
        The path to name when the error does not name one.

    Returns
    -------
    NeedsAnalysisError
        ``<path>: cannot <doing>: <what failed>; <fix>.``
    """
    default = (exc.strerror.lower() if exc.strerror else str(exc) or type(exc).__name__, "check the path")
    what, fix = _ERRNO_TEXT.get(errno.errorcode.get(exc.errno or -1, ""), default)
    names = [_path_text(n) for n in (exc.filename, exc.filename2) if n is not None] or \
        ([str(path)] if path is not None else [])
    return NeedsAnalysisError(f"cannot {doing}: {what}", where=" -> ".join(names) or None, fix=fix)


def _path_text(name) -> str:
    return str(name) if isinstance(name, int) else os.fsdecode(name)  # int: a file descriptor
