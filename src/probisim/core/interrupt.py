"""Interrupts that cannot be lost.

A signal handler that raises ``KeyboardInterrupt`` can have its exception
swallowed: when the signal lands while a C library is calling back into Python
(Numba's compiled-code cache, reached through a ``ctypes`` callback, is one such
place) the interpreter prints "Exception ignored ..." and carries on.  A run
killed at that moment would then finish and put its results in place as if
nothing had happened.

:func:`interrupts_raise` therefore records every SIGINT/SIGTERM in a flag before
raising, and the points that must not be passed after an interrupt (the rename
that puts a result in place, the end of a simulation) call :func:`check`, which
raises ``KeyboardInterrupt`` again if a signal arrived, swallowed or not.  The
swallowed exception's "Exception ignored" report is not printed, nor are those of
finalizers failing after it (the interrupt is reported once, where it is acted
on); unraisable exceptions before any interrupt still are.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_received: list[int] = []  # signal numbers received inside interrupts_raise()


def requested() -> bool:
    """True if SIGINT or SIGTERM arrived inside :func:`interrupts_raise`."""
    return bool(_received)


def check() -> None:
    """Raise ``KeyboardInterrupt`` if an interrupt arrived (even one whose
    exception was swallowed on the way)."""
    if _received:
        raise KeyboardInterrupt(f"signal {_received[0]} received")


@contextmanager
def interrupts_raise() -> Iterator[None]:
    """Within the block SIGINT and SIGTERM raise ``KeyboardInterrupt`` and are
    remembered for :func:`check`, so cleanup runs on ``kill`` as on Ctrl-C.  Only
    the main thread can install handlers; elsewhere the block changes nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        _received.append(signum)
        raise KeyboardInterrupt

    def unraisable(info):
        if not _received:  # after an interrupt, finalizer failures are its echoes
            old_hook(info)

    old_hook = sys.unraisablehook
    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        sys.unraisablehook = old_hook
        _received.clear()


def quiet_teardown() -> None:
    """After an interrupt has been reported and cleaned up, silence the
    "Exception ignored" reports of finalizers at exit: objects half-built when the
    signal landed (Numba's compiler state in llvmlite) can fail as they are torn
    down, which would print a traceback after the one-line message. Only for the
    program's own process (the CLI run as a command), never a library caller's."""
    sys.unraisablehook = lambda info: None
