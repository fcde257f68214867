"""The kernel package's on-disk Numba cache is keyed by all of its sources: editing a
helper in one file recompiles the kernels of another file that use it (numba issue
#1833 is what this guards against)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import probisim.kernels
from probisim.kernels import cache

KERNELS = Path(probisim.kernels.__file__).resolve().parent

_CALLER = textwrap.dedent("""
    from numba import njit

    from .probe_helper import helper


    @njit(cache=True)
    def probe(x):
        return helper(x) + 1.0
""")
_HELPER = textwrap.dedent("""
    from numba import njit


    @njit(cache=True)
    def helper(x):
        return {factor} * x
""")
_RUN = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from pkgcopy import probe_caller
    v = probe_caller.probe(2.0)
    print(v, probe_caller.probe.stats.cache_hits.get(probe_caller.probe.signatures[0], 0))
""")


def _package_copy(tmp_path: Path) -> Path:
    """A copy of the kernel package (its __init__ installs the locator for its own
    directory) with a probe module that calls a helper in another module."""
    pkg = tmp_path / "pkgcopy"
    shutil.copytree(KERNELS, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "probe_caller.py").write_text(_CALLER)
    (pkg / "probe_helper.py").write_text(_HELPER.format(factor="2.0"))
    return pkg


def _probe(tmp_path: Path) -> tuple[float, int]:
    out = subprocess.run([sys.executable, "-c", _RUN, str(tmp_path)], capture_output=True, text=True, check=True)
    value, hits = out.stdout.split()
    return float(value), int(hits)


def test_editing_a_helper_in_another_file_recompiles_its_callers(tmp_path):
    pkg = _package_copy(tmp_path)
    assert _probe(tmp_path) == (5.0, 0)  # compiled and cached
    assert _probe(tmp_path) == (5.0, 1)  # loaded from the cache
    (pkg / "probe_helper.py").write_text(_HELPER.format(factor="10.0"))
    # plain Numba would load the caller's stale machine code (5.0) here
    assert _probe(tmp_path) == (21.0, 0)
    assert _probe(tmp_path) == (21.0, 1)


def test_cache_directory_is_named_after_the_package_sources(tmp_path):
    pkg = _package_copy(tmp_path)
    before = cache.source_hash(pkg)
    assert cache.cache_dir(pkg).name == f"numba-{before[:16]}"
    (pkg / "layout.py").write_text((pkg / "layout.py").read_text() + "\n# an edit\n")
    assert cache.source_hash(pkg) != before
    assert cache.cache_dir(pkg).parent == pkg / "__pycache__"


def test_the_package_kernels_use_the_package_locator():
    from probisim.kernels import step

    impl = step._step_day._cache._impl
    assert isinstance(impl.locator, cache.PackageCacheLocator)
    assert Path(impl.locator.get_cache_path()).name == f"numba-{cache.source_hash()[:16]}"


def test_numba_cache_dir_wins_when_set(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "nc"))
    d = cache.cache_dir()
    assert d.parent == tmp_path / "nc" and d.name == f"numba-{cache.source_hash()[:16]}"
