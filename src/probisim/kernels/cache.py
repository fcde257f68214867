"""Numba's on-disk cache for the kernel package, keyed by all of its sources.

Numba keys a cached function by its own source file only (numba issue #1833):
a kernel in ``step.py`` that inlines a helper from ``vecmath.py`` or a constant
from ``layout.py`` would keep loading a stale compiled copy after that helper
was edited. :class:`PackageCacheLocator` closes that gap for every jitted
function defined in this package: its cache directory is named after a SHA-256
of every ``.py`` file of the package (sorted by name), and the same hash is the
source stamp Numba checks, so an edit to any file of the package sends every
kernel to a fresh directory and forces recompilation.

The directory lives in ``NUMBA_CACHE_DIR`` if that is set, else in the
package's ``__pycache__`` when that is writable (a source checkout or an
editable install), else in the user's cache directory. Each edit of the package
leaves the previous directory behind (a few MB); nothing removes them. :func:`install` must run before any module
of the package defines a jitted function (``probisim/kernels/__init__.py`` does
it first). It relies on ``numba.core.caching`` internals; ``pyproject.toml``
bounds Numba to the series this was tested with.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from numba.core import caching

PACKAGE_DIR = Path(__file__).resolve().parent
#: the class whose locator list Numba consults (renamed from _CacheImpl in Numba 0.6x)
_CACHE_IMPL = getattr(caching, "CacheImpl", None) or caching._CacheImpl


def source_hash(package_dir: Path = PACKAGE_DIR) -> str:
    """SHA-256 (hex) of every ``.py`` file directly in ``package_dir``, by sorted name."""
    h = hashlib.sha256()
    for f in sorted(package_dir.glob("*.py")):
        h.update(f.name.encode() + b"\x00")
        h.update(f.read_bytes())
        h.update(b"\x00")
    return h.hexdigest()


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
        return True
    except OSError:
        return False


def cache_dir(package_dir: Path = PACKAGE_DIR, digest: str | None = None) -> Path:
    """Where the package's compiled kernels are cached (see the module docstring)."""
    name = f"numba-{(digest or source_hash(package_dir))[:16]}"
    # NUMBA_CACHE_DIR, when set, is the user's choice and wins, as it does for Numba
    for base in (os.environ.get("NUMBA_CACHE_DIR"), package_dir / "__pycache__"):
        if base and _writable(Path(base) / name):
            return Path(base) / name
    from numba.misc.appdirs import AppDirs

    return Path(AppDirs(appname="numba", appauthor=False).user_cache_dir) / "probisim" / name


class PackageCacheLocator(caching._CacheLocator):
    """Cache locator for the functions of one package (see the module docstring)."""

    #: package directory -> (source hash, cache directory), computed once per process
    _packages: dict[Path, tuple[str, Path]] = {}

    def __init__(self, py_func, py_file, package_dir: Path):
        digest, path = self._packages[package_dir]
        self._digest = digest
        self._path = str(path)
        self._lineno = py_func.__code__.co_firstlineno

    def get_cache_path(self):
        return self._path

    def get_source_stamp(self):
        return self._digest

    def get_disambiguator(self):
        return str(self._lineno)  # Numba prefixes the module and function name

    @classmethod
    def from_function(cls, py_func, py_file):
        pkg = Path(py_file).resolve().parent
        if pkg not in cls._packages:
            return None
        self = cls(py_func, py_file, pkg)
        try:
            self.ensure_cache_path()
        except OSError:
            return None
        return self


def install(package_dir: Path = PACKAGE_DIR) -> Path:
    """Route the cache of every jitted function defined in ``package_dir`` through
    :class:`PackageCacheLocator`; returns the cache directory. Idempotent."""
    package_dir = Path(package_dir).resolve()
    if package_dir not in PackageCacheLocator._packages:
        digest = source_hash(package_dir)
        PackageCacheLocator._packages[package_dir] = (digest, cache_dir(package_dir, digest))
    locators = _CACHE_IMPL._locator_classes
    if PackageCacheLocator not in locators:
        locators.insert(0, PackageCacheLocator)
    return PackageCacheLocator._packages[package_dir][1]
