"""How long this process has spent compiling kernels, as numba reports it.

numba broadcasts a ``numba:compile`` event around every compilation that is not served from
its on-disk cache; nested compilations (a kernel compiling what it calls) count once, in the
outermost.  Loading a cached kernel is not a compilation and is not counted here.  The
compiler holds a global lock, so compilations never overlap, even from threads.

``seconds()`` is cumulative for the process; take differences around a phase.
"""

import time

from numba.core import event

__all__ = ["seconds", "count", "cache_directory"]


class _Meter(event.Listener):
    def __init__(self):
        self.depth = 0
        self.started = 0.0
        self.seconds = 0.0
        self.count = 0

    def on_start(self, ev):
        if self.depth == 0:
            self.started = time.perf_counter()
        self.depth += 1

    def on_end(self, ev):
        self.depth -= 1
        if self.depth == 0:
            self.seconds += time.perf_counter() - self.started
            self.count += 1


_meter = _Meter()
event.register("numba:compile", _meter)


def seconds():
    """Seconds spent compiling (not loading from the cache) since this process started."""
    return _meter.seconds


def count():
    """Outermost compilations so far."""
    return _meter.count


def cache_directory():
    """Where compiled kernels are cached (NUMBA_CACHE_DIR, else next to the sources)."""
    import numba

    return numba.config.CACHE_DIR or "__pycache__ beside spinn's sources"
