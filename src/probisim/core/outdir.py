"""Where a results directory goes, and how it gets there without harming anything.

``probisim run`` writes into a hidden *staging* directory next to the target
and renames it into place when every file is written.  The rules:

- **The target is a name in a real directory.**  The last component of
  ``--out`` must be a name (not empty, ``.`` or ``..``: ``newdir/..`` is
  refused, not resolved); the parent is resolved (symbolic links in the parent
  are followed, as the user asked for them), the target itself must not be a
  symbolic link, and it is never the working directory or one of its parents.
- **probisim removes only what it created and marked.**  Every staging
  directory gets a marker file, :data:`MARKER`, when it is created; the marker
  travels with it into place.  ``--force`` replaces an existing target only if
  that is a real directory (not a link) holding the marker as a regular file;
  anything else is refused even with ``--force``.  Trees are removed with
  :func:`shutil.rmtree`, which on POSIX does not follow symbolic links inside
  the tree, and never on a link, the working directory or one of its parents.
- **Everything is checked before simulating.**  :func:`check_output` checks the
  location without creating anything (``probisim validate`` uses it);
  :class:`OutputClaim` checks again and then proves the location writable by
  taking the lock and creating the marked staging directory, all before the
  simulation starts.
- **One run per target.**  A claim holds an exclusive ``fcntl.flock`` on
  ``PARENT/.NAME.probisim-lock`` (created by probisim) from before the
  simulation until the result is in place, so a second run on the same target
  fails at once (exit 2).  A lock, unlike an exclusive ``mkdir``, is released
  by the kernel when its holder dies, so a killed run never blocks the next.
  ``flock`` (POSIX) may be unreliable on some network file systems.
- **Nothing is left behind.**  On success, failure or interrupt (SIGINT, and
  SIGTERM via the CLI) the staging directory, the lock file and any parent
  directories the claim created (if still empty) are removed.  A SIGKILL can
  leave the lock file and a marked ``.NAME.probisim-partial-*`` directory; the
  next run on the same target removes such marked leftovers once it holds the
  lock, which proves that no other run is using them.
"""

from __future__ import annotations

import abc
import errno
import hashlib
import json
import os
import secrets
import shutil
import socket
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from . import interrupt
from .errors import OutputBusyError, OutputError, OutputExistsError

__all__ = ["MARKER", "OutputError", "OutputExistsError", "OutputBusyError", "OutputPlan", "OutputClaim",
           "check_output", "is_results_dir", "SWEEP_KIND", "check_sweep_dir", "SweepDirClaim"]

#: marker file that makes a directory a probisim results directory (removable with --force)
MARKER = ".probisim-results"
_MARKER_KIND = "probisim results directory"
_PARTIAL = ".probisim-partial-"
_OLD = ".probisim-old-"
_LOCK = ".probisim-lock"


def _strerror(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _short(path, limit: int = 120) -> str:
    """A path for a one-line message (long ones shortened in the middle)."""
    text = str(path)
    return text if len(text) <= limit else f"{text[:60]}...{text[-40:]}"


def _sidecar_base(name: str) -> str:
    """A short, deterministic stem for the hidden files next to target ``name``
    (the full name if short, else a prefix plus a hash), so that the sidecars'
    names fit in a file name whatever the target's length."""
    raw = os.fsencode(name)
    if len(raw) <= 64:
        return name
    head = raw[:40].decode("utf-8", "ignore")
    return f"{head}~{hashlib.sha256(raw).hexdigest()[:12]}"


def _name_max(existing: Path) -> int:
    try:
        return int(os.pathconf(existing, "PC_NAME_MAX"))
    except (OSError, ValueError):
        return 255


def _cwd_inside(path: Path) -> bool:
    """True if the working directory is ``path`` or lies inside it."""
    try:
        cwd = Path.cwd().resolve()
    except OSError:
        return False
    real = Path(os.path.realpath(path))
    return cwd == real or real in cwd.parents


def is_results_dir(path, kind: str = _MARKER_KIND) -> bool:
    """True if ``path`` is a real directory (not a link) holding the marker of ``kind``
    (a trial results directory unless said) as a regular file."""
    p = Path(path)
    try:
        if not stat.S_ISDIR(os.lstat(p).st_mode):
            return False
        st = os.lstat(p / MARKER)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_size > 4096:
        return False
    try:
        return json.loads((p / MARKER).read_text(encoding="utf-8")).get("kind") == kind
    except (OSError, ValueError, AttributeError):
        return False


def _remove_tree(path: Path) -> None:
    """Remove a probisim-marked directory tree; refuse anything else."""
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise OutputError(f"refusing to remove '{path}': not a directory (or a symbolic link)")
    if not is_results_dir(path):
        raise OutputError(f"refusing to remove '{path}': not a probisim results directory (no {MARKER})")
    if _cwd_inside(path):
        raise OutputError(f"refusing to remove '{path}': it is the working directory or one of its parents")
    shutil.rmtree(path)  # fd-based on POSIX: never follows links inside the tree


@dataclass(frozen=True)
class OutputPlan:
    """A checked output location (see :func:`check_output`)."""

    given: str  # as the user wrote it
    parent: Path  # resolved parent directory (may not exist yet)
    name: str
    force: bool
    exists: bool  # the target exists (then it is a marked results directory and force is set)
    missing_parents: tuple[Path, ...]  # directories to create, outermost first

    @property
    def target(self) -> Path:
        return self.parent / self.name

    @property
    def lock_path(self) -> Path:
        return self.parent / f".{_sidecar_base(self.name)}{_LOCK}"

    def sidecar_prefix(self, kind: str) -> str:
        return f".{_sidecar_base(self.name)}{kind}"


def check_output(out, *, force: bool = False) -> OutputPlan:
    """Check that a results directory may be written at ``out`` (creating nothing).

    Raises :class:`OutputError` (one line) if the last component is not a name,
    the name is too long, a parent is a file or not writable, the target is the
    working directory or one of its parents, a symbolic link, a file, or an
    existing directory while ``force`` is false, or an existing directory that
    is not a probisim results directory (even with ``force``).
    """
    plan = _check_location(out, force)
    given, target = plan.given, plan.target
    if plan.exists:
        if not os.path.isdir(target):
            raise OutputError(f"output directory '{_short(given)}' exists and is not a directory")
        if not force:
            raise OutputExistsError(f"output directory '{_short(given)}' already exists; use --force to overwrite it")
        if not is_results_dir(target):
            raise OutputError(f"output directory '{_short(given)}' exists but is not a probisim results directory (no "
                              f"{MARKER} marker); refusing to replace it even with --force: choose another --out "
                              "or remove it yourself")
    return plan


def _check_location(out, force: bool) -> OutputPlan:
    """Every check of :func:`check_output` but what an existing target may be."""
    given = os.fspath(out)
    if not isinstance(given, str):
        given = os.fsdecode(given)
    if not given:
        raise OutputError("output directory is empty: give a directory name")
    if "\0" in given:
        raise OutputError(f"output directory {given!r} contains a NUL character")
    stripped = given.rstrip("/") or "/"
    head, _, name = stripped.rpartition("/")
    if name in ("", ".", ".."):
        where = os.path.realpath(given)
        raise OutputError(f"output directory '{_short(given)}' must end in a new directory name, not '{name or '/'}' "
                          f"(it resolves to the existing '{where}'; probisim never writes into or replaces that)")
    if head == "" and stripped.startswith("/"):
        head = "/"
    parent = Path(os.path.realpath(head or "."))
    # nearest existing ancestor: every existing component must be a directory
    missing: list[Path] = []
    anc = parent
    while True:
        try:
            st = os.stat(anc)
        except FileNotFoundError:
            missing.append(anc)
            anc = anc.parent
            continue
        except NotADirectoryError:
            missing.append(anc)
            anc = anc.parent
            continue
        except OSError as exc:
            if exc.errno != errno.ENAMETOOLONG:
                raise OutputError(f"cannot use output directory '{_short(given)}': {_strerror(exc)}: "
                                  f"'{_short(anc)}'") from None
            missing.append(anc)  # reported below, with the offending component
            anc = anc.parent
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise OutputError(f"cannot create output directory '{_short(given)}': '{_short(anc)}' is a file, "
                              "not a directory")
        break
    limit = _name_max(anc)
    if len(os.fsencode(name)) > limit:
        raise OutputError(f"output directory name is too long for the file system ({len(os.fsencode(name))} bytes; "
                          f"at most {limit}): '{name[:40]}...'")
    for m in missing:
        if len(os.fsencode(m.name)) > limit:
            raise OutputError(f"cannot create output directory '{_short(given)}': the name '{m.name[:40]}...' "
                              f"is too long for the file system ({len(os.fsencode(m.name))} bytes; at most {limit})")
    try:
        ro = bool(os.statvfs(anc).f_flag & os.ST_RDONLY)
    except OSError:
        ro = False
    if ro or not os.access(anc, os.W_OK | os.X_OK):
        why = "is on a read-only file system" if ro else "is not writable"
        raise OutputError(f"cannot create output directory '{_short(given)}': '{_short(anc)}' {why}")
    target = parent / name
    if os.path.islink(target):
        raise OutputError(f"output directory '{_short(given)}' is a symbolic link (to '{os.readlink(target)}'); "
                          "probisim neither writes through nor replaces links: give the real path")
    if _cwd_inside(target):
        raise OutputError(f"output directory '{_short(given)}' is the working directory or one of its parents "
                          f"('{_short(target)}'); choose a new directory")
    exists = os.path.lexists(target)
    return OutputPlan(given=given, parent=parent, name=name, force=bool(force), exists=exists,
                      missing_parents=tuple(reversed(missing)))


class _Claim(abc.ABC):
    """A claim on an output location for one run, as a context manager: entering
    takes it (``_acquire``), leaving gives it back (``release``), and so does a
    failure halfway through taking it."""

    plan: OutputPlan

    @property
    def target(self) -> Path:
        return self.plan.target

    def __enter__(self) -> Self:
        try:
            self._acquire()
        except BaseException:
            self.release()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    @abc.abstractmethod
    def _acquire(self) -> None:
        """Check, lock and create what the claim needs."""

    @abc.abstractmethod
    def release(self) -> None:
        """Give back whatever the claim holds (idempotent)."""


def _write_marker(directory: Path, kind: str, name: str) -> None:
    """Create ``directory/MARKER`` saying ``kind`` (a new regular file, never through a link)."""
    fd = os.open(directory / MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"kind": kind, "marker_version": 1, "name": name,
                             "created_by_pid": os.getpid(), "host": socket.gethostname()}) + "\n")


class OutputClaim(_Claim):
    """Claim an output location for one run: check it, lock it, create the marked
    staging directory (all before simulating); :meth:`commit` puts the staging
    directory in place.  Use as a context manager: leaving it removes the lock
    file, an uncommitted staging directory and parents it created.

    ``staging`` is the directory to write into; ``target`` where it ends up.
    """

    def __init__(self, out, *, force: bool = False):
        self.plan = check_output(out, force=force)
        self.staging: Path | None = None
        self.committed = False
        self._fd: int | None = None
        self._made: list[Path] = []

    # -- acquire ------------------------------------------------------------
    def _acquire(self) -> None:
        plan = self.plan
        for d in plan.missing_parents:
            try:
                os.mkdir(d)
                self._made.append(d)
            except FileExistsError:
                if not os.path.isdir(d):
                    raise OutputError(f"cannot create output directory '{_short(plan.given)}': '{_short(d)}' "
                                      "is a file") from None
            except OSError as exc:
                raise OutputError(f"cannot create output directory '{_short(plan.given)}': {_strerror(exc)}: "
                                  f"'{_short(d)}'") from None
        self._lock()
        # re-check under the lock: a run that held it may have finished meanwhile
        self.plan = plan = check_output(plan.given, force=plan.force)
        self._remove_leftovers()
        staging = plan.parent / f"{plan.sidecar_prefix(_PARTIAL)}{os.getpid()}-{secrets.token_hex(4)}"
        try:
            os.mkdir(staging, 0o755)
            self.staging = staging
            _write_marker(staging, _MARKER_KIND, plan.name)
        except OSError as exc:
            raise OutputError(f"cannot write in output directory '{_short(plan.given)}': {_strerror(exc)}: "
                              f"'{exc.filename or staging}'") from None

    def _lock(self) -> None:
        try:
            import fcntl  # POSIX; imported here so that reading results works everywhere
        except ImportError:  # pragma: no cover - not POSIX
            raise OutputError("writing results needs file locks (fcntl.flock), available on POSIX systems only") \
                from None
        path = self.plan.lock_path
        for _ in range(5):
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise OutputError(f"lock file '{path}' is a symbolic link; remove it") from None
                raise OutputError(f"cannot create output directory '{_short(self.plan.given)}': {_strerror(exc)}: "
                                  f"'{path}'") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise OutputBusyError(f"another probisim run is writing '{_short(self.plan.given)}' (it holds the lock "
                                      f"'{path}'); wait for it to finish or choose another --out") from None
            except OSError as exc:
                os.close(fd)
                raise OutputError(f"cannot lock '{path}': {_strerror(exc)}") from None
            # the holder removes the lock file before releasing it: make sure ours is still the one in place
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
                self._fd = fd
                return
            os.close(fd)
        raise OutputBusyError(f"another probisim run is writing '{_short(self.plan.given)}' (lock '{path}' keeps "
                              "changing); try again")

    def _remove_leftovers(self) -> None:
        """Remove marked staging/old directories of this target left by killed runs
        (safe: we hold the lock, so no other run is using them)."""
        prefixes = (self.plan.sidecar_prefix(_PARTIAL), self.plan.sidecar_prefix(_OLD))
        try:
            entries = list(os.scandir(self.plan.parent))
        except OSError:
            return
        for e in entries:
            if e.name.startswith(prefixes) and e.is_dir(follow_symlinks=False) and is_results_dir(e.path):
                try:
                    _remove_tree(Path(e.path))
                except OSError:
                    pass

    # -- commit and release -------------------------------------------------
    def commit(self) -> Path:
        """Move the staging directory into place (replacing a marked old result if
        ``force``); return the path as given."""
        if self.staging is None or self._fd is None:
            raise RuntimeError("commit() outside an active claim")
        interrupt.check()  # a kill whose KeyboardInterrupt was swallowed still stops the result landing
        plan, target = self.plan, self.plan.target
        old = None
        if os.path.lexists(target):
            # re-verify: the location may have changed during the simulation
            check_output(plan.given, force=plan.force)
            old = plan.parent / f"{plan.sidecar_prefix(_OLD)}{os.getpid()}-{secrets.token_hex(4)}"
            os.rename(target, old)
        try:
            os.rename(self.staging, target)
        except OSError:
            if old is not None:
                os.rename(old, target)
            raise
        self.staging = None
        self.committed = True
        if old is not None:
            _remove_tree(old)
        return Path(plan.given)

    def release(self) -> None:
        """Remove an uncommitted staging directory, the lock file and parents the
        claim created (if empty), then release the lock.  Idempotent."""
        if self.staging is not None:
            try:
                _remove_tree(self.staging)
            except (OSError, OutputError):
                pass
            self.staging = None
        fd, self._fd = self._fd, None
        if fd is not None:  # unlink while still holding the lock (see _lock), close last
            path = self.plan.lock_path
            try:
                if os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False)):
                    os.unlink(path)
            except OSError:
                pass
        if not self.committed:
            for d in reversed(self._made):
                try:
                    os.rmdir(d)  # only if empty
                except OSError:
                    break
        self._made = []
        if fd is not None:
            os.close(fd)


# --------------------------------------------------------------------------
# sweep directories: written in place, task by task (so a killed sweep resumes)
# --------------------------------------------------------------------------
SWEEP_KIND = "probisim sweep directory"


def check_sweep_dir(out, *, resume: bool = False, force: bool = False, artifacts=()) -> OutputPlan:
    """Check that a sweep may write into ``out`` (creating nothing).

    The location passes the checks of :func:`check_output`. An existing ``out`` must
    be a real directory that is either empty or marked as a probisim sweep directory
    (a sweep never writes into, or deletes from, a directory it did not create);
    a marked one that holds any of ``artifacts`` needs ``resume`` or ``force``.
    """
    plan = _check_location(out, force)
    given, target = plan.given, plan.target
    if not plan.exists:
        return plan
    if not os.path.isdir(target):
        raise OutputError(f"output directory '{_short(given)}' exists and is not a directory")
    marked = is_results_dir(target, SWEEP_KIND)
    try:
        names = {e.name for e in os.scandir(target)} - {MARKER, _LOCK}
    except OSError as exc:
        raise OutputError(f"cannot read output directory '{_short(given)}': {_strerror(exc)}") from None
    if not marked and names:
        raise OutputError(f"output directory '{_short(given)}' exists, is not empty and is not a probisim sweep "
                          f"directory (no {MARKER} marker); refusing to write into it even with --force or --resume: "
                          "choose another --out")
    if marked and names & set(artifacts) and not (resume or force):
        raise OutputExistsError(f"output directory '{_short(given)}' already holds a sweep; use --resume to continue "
                                "it or --force to start over")
    return plan


class SweepDirClaim(_Claim):
    """Claim a sweep directory for one run (a context manager): check it
    (:func:`check_sweep_dir`), create it with its marker, and hold an exclusive
    lock on ``DIR/.probisim-lock`` until the run ends, so a second sweep into the
    same directory fails at once (exit 2)."""

    def __init__(self, out, *, resume: bool = False, force: bool = False, artifacts=()):
        self._args = dict(resume=resume, force=force, artifacts=tuple(artifacts))
        self.plan = check_sweep_dir(out, **self._args)
        self._fd: int | None = None

    def _acquire(self) -> None:
        import fcntl

        plan, target = self.plan, self.plan.target
        try:
            for d in (*plan.missing_parents, target):
                try:
                    os.mkdir(d)
                except FileExistsError:
                    pass
            fd = os.open(target / _LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot create output directory '{_short(plan.given)}': {_strerror(exc)}: "
                              f"'{exc.filename or target}'") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise OutputBusyError(f"another probisim sweep is writing '{_short(plan.given)}'; wait for it to finish "
                                  "or choose another --out") from None
        self._fd = fd
        self.plan = check_sweep_dir(plan.given, **self._args)  # again, under the lock
        if not is_results_dir(target, SWEEP_KIND):
            try:
                _write_marker(target, SWEEP_KIND, plan.name)
            except OSError as exc:
                raise OutputError(f"cannot write in output directory '{_short(plan.given)}': {_strerror(exc)}")\
                    from None

    def release(self) -> None:
        """Release the lock (the lock file stays: it is inside the sweep's own directory). Idempotent."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
