"""Executors for sweeps: run a function over many small tasks, in any order.

The interface is deliberately tiny (emcee-style "anything with map"): an
executor is a context manager with ::

    executor.map_unordered(fn, items) -> Iterator[tuple[item, result_or_exception]]

``fn(item)`` is called once per item, somewhere (this process, a local worker
process, a Dask worker).  Pairs come back in *completion* order; a call that
raised yields the exception object instead of a result, so one bad item never
stops the others.  ``fn`` and the items must be picklable for the process and
Dask executors (a module-level function or a :func:`functools.partial` of one).

Three kinds, all built by :func:`get_executor`:

``serial``
    A plain loop in this process.  ``KeyboardInterrupt`` propagates at once.
``processes``
    :class:`concurrent.futures.ProcessPoolExecutor` on the ``spawn`` start
    method.  Each worker's initializer caps Numba (and OpenMP/BLAS) threads so
    that ``jobs * threads_per_worker <= os.cpu_count()`` and starts a daemon
    thread that watches the parent: if the process that started the pool dies
    (even by ``SIGKILL``, which runs no clean-up), every worker exits within
    about a second -- busy or idle -- and the ``multiprocessing`` resource
    tracker, whose pipe only the parent and the workers hold, follows it
    (after removing the pool's semaphores, with a "leaked semaphore" warning).
    (Neither the standard pool nor loky 3.x does this by itself: their workers
    block on a queue pipe that they hold both ends of.)  At most ``2 * jobs``
    items are in flight at a time, so an interrupt or a crash touches few items.
    If a worker process dies (segfault, ``os._exit``, OOM kill) the pool breaks:
    every item that was in flight is yielded with a :class:`WorkerLostError`
    naming the in-flight items, a fresh pool is started, and the remaining items
    carry on.  Results already yielded are never affected.
``dask``
    A :class:`distributed.Client` connected to ``scheduler``: an address such as
    ``"tcp://10.0.0.5:8786"``, an existing ``Client``, or ``"local"`` for a
    :class:`distributed.LocalCluster` of ``jobs`` single-threaded worker
    processes bound to 127.0.0.1 with no dashboard.  Dask is imported lazily;
    without it :class:`ExecutorUnavailableError` tells you to
    ``pip install 'probisim[dask]'``.  Workers only return the small results;
    a task that keeps killing workers comes back as ``KilledWorker`` and the
    others go on.  On a remote cluster every worker needs probisim (and the task
    function's module) installed.

A worker inherits ``NUMBA_NUM_THREADS`` etc. only for the kinds started here
(``processes`` and ``dask`` with ``scheduler="local"``); workers of an external
Dask cluster are configured by whoever started them.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..core.errors import ProbisimError

__all__ = [
    "EXECUTOR_KINDS",
    "Executor",
    "SerialExecutor",
    "ProcessExecutor",
    "DaskExecutor",
    "ExecutorUnavailableError",
    "WorkerLostError",
    "get_executor",
    "cpu_count",
    "watch_parent",
]

EXECUTOR_KINDS = ("serial", "processes", "dask")

#: Environment variables that size a worker's thread pools.
THREAD_ENV_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class ExecutorUnavailableError(ProbisimError, ImportError):
    """The requested executor needs an optional dependency that is missing."""


class WorkerLostError(ProbisimError, RuntimeError):
    """A worker process died while this item was in flight.

    ``in_flight`` lists (the ``repr`` of) every item that was in flight at the
    moment of the crash: one of them probably caused it, the others are
    bystanders.  Rerunning them (e.g. a sweep's ``resume``) is safe.
    """

    def __init__(self, message: str, in_flight: tuple[str, ...] = ()):
        super().__init__(message)
        self.in_flight = tuple(in_flight)


def cpu_count() -> int:
    """CPUs this process may use (affinity-aware where the OS tells)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def _resolve_jobs(jobs: int | None) -> int:
    if jobs is None or jobs <= 0:
        return cpu_count()
    return int(jobs)


def _threads_for(jobs: int, threads_per_worker: int | None) -> int:
    if threads_per_worker is not None and threads_per_worker > 0:
        return int(threads_per_worker)
    return max(1, cpu_count() // max(1, jobs))


def _item_label(item: Any) -> str:
    label = getattr(item, "task_id", None)
    return str(label) if label is not None else repr(item)


def init_worker_threads(threads: int) -> None:
    """Process-pool initializer: cap this worker's compute threads.

    Sets ``NUMBA_NUM_THREADS`` (and the OpenMP/BLAS equivalents), which take
    effect for libraries not imported yet; if Numba is already imported (e.g.
    by the package ``__init__``) its pool is narrowed with
    ``numba.set_num_threads``.
    """
    threads = max(1, int(threads))
    for var in THREAD_ENV_VARS:
        os.environ[var] = str(threads)
    numba = sys.modules.get("numba")
    if numba is not None:  # pragma: no cover - depends on import order
        try:
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        except Exception:
            pass


#: Seconds between a worker's checks of its parent's pid, the fallback of the
#: parent-death pipe (see :func:`watch_parent`).
PARENT_POLL_S = 1.0
#: Exit status of a worker that stops because its parent died.
ORPHAN_EXIT_CODE = 75


def watch_parent(poll_s: float = PARENT_POLL_S) -> threading.Thread | None:
    """Worker side: start a daemon thread that ends this process when its parent dies.

    ``multiprocessing`` gives every child it starts (spawn, forkserver or fork)
    a *parent sentinel*: the read end of a pipe whose only write end stays in
    the parent, so it becomes readable (EOF) the moment the parent is gone,
    however it died.  The thread waits on it, and every ``poll_s`` seconds also
    compares ``os.getppid()`` with the pid seen at start (a re-parented orphan
    sees its pid change), then calls ``os._exit``: no clean-up handlers run,
    nothing is written, and a task in progress is abandoned -- its result had
    nowhere to go.  Returns the thread, or None outside a multiprocessing child.
    """
    import multiprocessing
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is None:
        return None
    ppid = parent.pid or os.getppid()  # the pid this worker was started by
    sentinel = getattr(parent, "sentinel", None)

    def _watch() -> None:
        fds = [sentinel] if sentinel is not None else []
        while True:
            if fds:
                try:
                    if wait(fds, timeout=poll_s):
                        break
                except OSError:  # pragma: no cover - sentinel closed under us: poll only
                    fds = []
            else:  # pragma: no cover - every supported start method has a sentinel
                time.sleep(poll_s)
            if os.getppid() != ppid:
                break
        os._exit(ORPHAN_EXIT_CODE)

    thread = threading.Thread(target=_watch, name="probisim-parent-watch", daemon=True)
    thread.start()
    return thread


def init_worker(threads: int) -> None:
    """Process-pool initializer: cap compute threads, then watch the parent."""
    init_worker_threads(threads)
    watch_parent()


class Executor(ABC):
    """Abstract base: a context manager with :meth:`map_unordered`."""

    kind = "base"
    jobs = 1

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(cancel=exc_type is not None)

    # An intentional no-op default, not an abstract method: executors that hold no workers need not override it.
    def close(self, cancel: bool = False) -> None:  # noqa: B027  # pragma: no cover - trivial
        """Release the executor's workers; a no-op here, for executors that hold none."""

    @abstractmethod
    def map_unordered(
        self, fn: Callable[[Any], Any], items: Iterable[Any]
    ) -> Iterator[tuple[Any, Any]]:
        """Yield ``(item, fn(item))`` pairs as they finish, in any order."""

    def describe(self) -> str:
        return f"{self.kind}(jobs={self.jobs})"

    def slots(self) -> int:
        """How many tasks can run at once (for sizing work to the executor)."""
        return max(1, int(self.jobs))


class SerialExecutor(Executor):
    """Run each item in this process, in order."""

    kind = "serial"

    def __init__(self) -> None:
        self.jobs = 1

    def map_unordered(self, fn, items):
        for item in items:
            try:
                result = fn(item)
            except Exception as exc:  # KeyboardInterrupt/SystemExit propagate
                result = exc
            yield item, result


class ProcessExecutor(Executor):
    """A spawn-based process pool with a bounded window of in-flight items."""

    kind = "processes"

    def __init__(
        self,
        jobs: int | None = None,
        threads_per_worker: int | None = None,
        *,
        window: int | None = None,
        max_restarts_without_progress: int = 3,
    ) -> None:
        self.jobs = _resolve_jobs(jobs)
        self.threads_per_worker = _threads_for(self.jobs, threads_per_worker)
        self.window = max(1, int(window)) if window else 2 * self.jobs
        self.max_restarts_without_progress = max_restarts_without_progress
        self._pool = None

    def describe(self) -> str:
        return f"processes(jobs={self.jobs}, threads_per_worker={self.threads_per_worker})"

    def _new_pool(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(
            max_workers=self.jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
            initargs=(self.threads_per_worker,),
        )

    def __enter__(self) -> ProcessExecutor:
        if self._pool is None:
            self._pool = self._new_pool()
        return self

    def close(self, cancel: bool = False) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if not cancel:
            pool.shutdown(wait=True)
            return
        # Interrupted: do not wait for in-flight items -- they are lost by
        # design (a sweep reruns them on resume) -- and stop the workers, which
        # may not have received the SIGINT themselves.
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            try:
                if proc.is_alive():
                    proc.terminate()
            except Exception:  # pragma: no cover - already gone
                pass

    def map_unordered(self, fn, items):
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        if self._pool is None:
            self._pool = self._new_pool()
        source = iter(items)
        pending: dict[Any, Any] = {}  # future -> item
        exhausted = False
        restarts_without_progress = 0

        while True:
            while not exhausted and len(pending) < self.window:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                try:
                    pending[self._pool.submit(fn, item)] = item
                except BrokenProcessPool:
                    # The pool broke between our last wait and this submit.
                    # Put the item back in front and let the crash handling
                    # below deal with the in-flight ones.
                    source = _prepend(item, source)
                    break
            if not pending:
                if exhausted:
                    return
                # nothing in flight but the pool refuses work: restart it
                self._restart_pool()
                continue

            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            broken = False
            for fut in sorted(done, key=lambda f: _item_label(pending[f])):
                item = pending.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    broken = True
                    pending[fut] = item  # handled together with the others
                    continue
                except BaseException as exc:  # noqa: BLE001 - reported to caller
                    result = exc
                if isinstance(result, KeyboardInterrupt):
                    raise result
                restarts_without_progress = 0
                yield item, result
            if broken:
                # Every future still pending failed (or will fail) with
                # BrokenProcessPool: they were all in flight when a worker died.
                wait(list(pending))
                lost = []
                for fut, item in list(pending.items()):
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        lost.append(item)
                        continue
                    except BaseException as exc:  # noqa: BLE001
                        result = exc
                    yield item, result
                pending.clear()
                labels = tuple(_item_label(i) for i in lost)
                message = (
                    f"a worker process died while {len(lost)} item(s) were in flight "
                    f"({', '.join(labels)}); the pool was restarted"
                )
                for item in lost:
                    yield item, WorkerLostError(message, labels)
                restarts_without_progress += 1
                if restarts_without_progress > self.max_restarts_without_progress:
                    raise WorkerLostError(
                        f"worker processes died {restarts_without_progress} times in a row "
                        "without completing anything; giving up",
                        labels,
                    )
                self._restart_pool()

    def _restart_pool(self) -> None:
        old, self._pool = self._pool, None
        if old is not None:
            old.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()


def _prepend(item, iterator):
    yield item
    yield from iterator


class DaskExecutor(Executor):
    """Run items on a Dask distributed cluster (local or remote)."""

    kind = "dask"

    def __init__(
        self,
        scheduler: Any = "local",
        jobs: int | None = None,
        threads_per_worker: int | None = None,
        *,
        window: int | None = None,
    ) -> None:
        try:
            import distributed  # noqa: F401
        except ImportError as exc:
            raise ExecutorUnavailableError(
                "the dask executor needs dask and distributed: pip install 'probisim[dask]'"
            ) from exc
        self.scheduler = scheduler if scheduler is not None else "local"
        self.jobs = _resolve_jobs(jobs)
        self.threads_per_worker = _threads_for(self.jobs, threads_per_worker)
        self._window = window
        self._client = None
        self._cluster = None
        self._own_client = False

    def describe(self) -> str:
        where = self.scheduler if isinstance(self.scheduler, str) else "client"
        return f"dask({where}, jobs={self.jobs})"

    @property
    def client(self):
        if self._client is None:
            self.__enter__()
        return self._client

    def __enter__(self) -> DaskExecutor:
        if self._client is not None:
            return self
        import distributed

        if isinstance(self.scheduler, distributed.Client):
            self._client, self._own_client = self.scheduler, False
        elif self.scheduler == "local":
            threads = str(self.threads_per_worker)
            self._cluster = distributed.LocalCluster(
                n_workers=self.jobs,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                env={var: threads for var in THREAD_ENV_VARS},
            )
            self._client = distributed.Client(self._cluster)
            self._own_client = True
        elif isinstance(self.scheduler, str):
            self._client = distributed.Client(self.scheduler)
            self._own_client = True
        else:
            raise TypeError(
                f"scheduler must be 'local', an address like 'tcp://host:8786' or a "
                f"distributed.Client, not {self.scheduler!r}"
            )
        return self

    def close(self, cancel: bool = False) -> None:
        client, self._client = self._client, None
        cluster, self._cluster = self._cluster, None
        if client is not None and self._own_client:
            client.close()
        if cluster is not None:
            cluster.close()

    def slots(self) -> int:
        """The worker threads of the connected cluster (``jobs`` if it cannot say)."""
        try:
            return max(1, sum(self._client.nthreads().values()))
        except Exception:  # pragma: no cover - scheduler hiccup
            return self.jobs

    def map_unordered(self, fn, items):
        import distributed

        client = self.client
        window = self._window or max(8, 4 * self.slots())
        token = uuid.uuid4().hex[:12]
        source = iter(items)
        futures: dict[Any, Any] = {}  # future -> item
        ac = distributed.as_completed()
        counter = 0

        def submit_one() -> bool:
            nonlocal counter
            try:
                item = next(source)
            except StopIteration:
                return False
            key = f"probisim-{_item_label(item)}-{token}-{counter}"
            counter += 1
            fut = client.submit(fn, item, key=key, pure=False)
            futures[fut] = item
            ac.add(fut)
            return True

        try:
            while len(futures) < window and submit_one():
                pass
            while futures:
                fut = next(ac)
                item = futures.pop(fut)
                if fut.status == "error":
                    try:
                        result = fut.exception()
                    except BaseException as exc:  # noqa: BLE001
                        result = exc
                elif fut.status == "cancelled":
                    result = WorkerLostError(
                        f"dask cancelled {_item_label(item)} (worker or scheduler lost)",
                        (_item_label(item),),
                    )
                else:
                    try:
                        result = fut.result()
                    except BaseException as exc:  # noqa: BLE001
                        result = exc
                fut.release()
                if isinstance(result, KeyboardInterrupt):
                    raise result
                yield item, result
                while len(futures) < window and submit_one():
                    pass
        finally:
            if futures:
                try:
                    client.cancel(list(futures))
                except Exception:  # pragma: no cover - client already gone
                    pass


def get_executor(
    kind: str = "serial",
    *,
    jobs: int | None = None,
    scheduler: Any = None,
    threads_per_worker: int | None = None,
) -> Executor:
    """Build an executor.

    ``kind``: ``"serial"``, ``"processes"`` (default ``jobs`` = CPU count) or
    ``"dask"`` (``scheduler``: ``"local"`` (default), ``"tcp://host:port"`` or a
    ``distributed.Client``; ``jobs`` = number of local workers).
    ``threads_per_worker`` caps each worker's Numba/OpenMP threads; by default
    ``cpu_count() // jobs`` so workers x threads never exceed the CPUs.
    """
    if kind == "serial":
        return SerialExecutor()
    if kind == "processes":
        return ProcessExecutor(jobs, threads_per_worker)
    if kind == "dask":
        return DaskExecutor(scheduler if scheduler is not None else "local", jobs, threads_per_worker)
    raise ValueError(f"unknown executor kind {kind!r}; choose one of {', '.join(EXECUTOR_KINDS)}")
