"""numba's on-disk cache, made aware that spinn's kernels call each other across files.

numba keys a cached function by its own file's stamp only: a kernel compiled with the code it
calls from another file (``deliver_stages`` in kernels/delays.py inlines ``deliver_packets``
from kernels/deliver.py) is loaded from the cache unchanged after an edit of that other file —
the edit is silently not run.  Here every cached function of spinn (its package and the tick
modules spinn generates, spinn.runtime.fused) is stamped with its own file's stamp *and* a
digest of the text of every spinn source that numba compiles: an edit of any of them
recompiles them all, once.  Installed by ``import spinn``, before any kernel is defined.
"""

import functools
import hashlib
import os
import pathlib

from numba.core import caching

_PACKAGE = pathlib.Path(__file__).resolve().parent


@functools.lru_cache(maxsize=None)
def compiled_sources_digest():
    """sha1 of the text of every spinn source file that uses numba (read once a process)."""
    h = hashlib.sha1()
    for path in sorted(_PACKAGE.rglob("*.py")):
        data = path.read_bytes()
        if b"numba" in data:
            h.update(str(path.relative_to(_PACKAGE)).encode() + b"\0" + data + b"\0")
    return h.hexdigest()


def _ours(py_file):
    path = os.path.realpath(py_file)
    return path.startswith(str(_PACKAGE) + os.sep) or \
        os.path.basename(os.path.dirname(path)) == "spinn_fused"


def _stamped(base):
    class Locator(base):
        @classmethod
        def from_function(cls, py_func, py_file):
            if not _ours(py_file):
                return None
            return super().from_function(py_func, py_file)

        def get_source_stamp(self):
            return (super().get_source_stamp(), compiled_sources_digest())

    Locator.__name__ = Locator.__qualname__ = "Spinn" + base.__name__
    return Locator


def install():
    classes = caching.CacheImpl._locator_classes
    if any(c.__name__.startswith("Spinn") for c in classes):
        return
    ours = [_stamped(c) for c in (caching.UserProvidedCacheLocator,
                                  caching.InTreeCacheLocator,
                                  caching.UserWideCacheLocator)]
    classes[:0] = ours


install()
