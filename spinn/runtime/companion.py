"""A real-time run's companion thread: what Python still does while one compiled call runs
the whole run without the GIL (spinn.runtime.compiled_run.run_compiled).

Each return from a compiled call to Python and back costs ~0.4 ms here (leaving the call
~90 us, Python's own work between calls ~170 us, entering the next call ~125 us: VA CUBA,
1 rank, one call a second) — more than a 0.2 ms tick's slack, so every call boundary made
one late tick.  So a real-time run is one call (what is collective — the stop on an
overrun, run_forever's stop on several ranks, the progress display's spike count — is
agreed by the ranks' votes inside it: spinn.kernels.agree), which returns early only when
Python has work: the recorder's buffers full, a live datagram for
Python (an IP-tag request, rate control, a bad packet), many late ticks to record, or a
signal.  What Python did between calls that cannot wait for the run's end is done by a
thread: signals.  Python runs a signal's handler (Ctrl-C's KeyboardInterrupt, a checkpoint policy's
SIGTERM note) only between calls: signal.set_wakeup_fd wakes this thread when a signal
arrives, it sets pace[11], and the call returns after its tick, so the handler runs within a
tick, as between ticks of the per-tick loop.  The thread sleeps otherwise, with no
periodic wake-ups on a machine whose cores the ranks keep busy: the watcher reckons a
paced call's step from its clock instead (spinn.runtime.watcher).  The one exception is
the progress display, on rank 0 of a shown run: the thread wakes every PROGRESS_WAKE
seconds and shows the job's step and spikes as the ranks' last vote inside the call
summed them (pace[21], pace[22]: spinn.kernels.agree); and, in a real-time run with a
checkpoint due by the wall clock ($SPINN_CHECKPOINT_EVERY_S), the thread wakes at its time
and asks the ranks to leave the call together at their next vote (pace[25]).
"""

import os
import signal
import socket
import threading
import time

STOP_SLOT = 11       # pace[STOP_SLOT] != 0: the compiled call returns after its tick
VOTED_STEP, VOTED_SPIKES = 21, 22   # the last completed vote (spinn.kernels.agree)
SEGMENT_SLOT = 25    # this rank asks the ranks to end the segment together (the same)
PROGRESS_WAKE = 0.5  # s between the progress display's looks at the last vote
# signals whose Python handlers wait for the run's safe points (deliver())
DEFERRED = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP",
                                                    "SIGUSR1", "SIGUSR2")
                 if hasattr(signal, name))


class Companion:
    """The run's calls: enter() before the first, deliver() after each one's state is
    kept (a safe point), leave() in the end.  Inactive (every method a no-op) unless
    active, or when the run is not in the main thread (signals are handled there only).

    A Python handler (Ctrl-C's KeyboardInterrupt) may run inside numba's boxing of the
    call's results, which calls Python: raised there, it came out as a SystemError and
    the call's state and recorded spikes were lost.  So while the calls run, the Python
    handlers of DEFERRED signals only note the signal; deliver() calls them."""

    def __init__(self, pace, active=True, progress=None, deadline=None):
        self.pace, self.active = pace, active
        # perf_counter time at which the call is to return (a checkpoint due by the wall
        # clock: spinn.runtime.longrun), or None
        self.deadline = deadline
        # a shown run's display (spinn.progress.Progress), on the rank that prints
        self.progress = progress if progress is not None and progress.show else None
        self.thread = None
        self.saved, self.pending = {}, []

    def enter(self):
        if not self.active or threading.current_thread() is not threading.main_thread():
            return
        self.r, self.w = socket.socketpair()
        self.w.setblocking(False)
        self.old = signal.set_wakeup_fd(self.w.fileno(), warn_on_full_buffer=False)
        for sig in DEFERRED:
            handler = signal.getsignal(sig)
            if callable(handler):
                self.saved[sig] = signal.signal(sig, self._note)
        self.thread = threading.Thread(target=self._watch, name="spinn-companion",
                                       daemon=True)
        self.thread.start()

    def _note(self, sig, frame):
        self.pending.append(sig)

    def _timeout(self):
        wait = PROGRESS_WAKE if self.progress is not None else None
        if self.deadline is not None:
            left = max(0.001, self.deadline - time.perf_counter())   # 0: non-blocking
            wait = left if wait is None else min(wait, left)
        return wait

    def _watch(self):
        shown = -1.0
        while True:
            self.r.settimeout(self._timeout())
            try:
                got = self.r.recv(64)
            except TimeoutError:
                if self.deadline is not None and time.perf_counter() >= self.deadline:
                    self.deadline = None          # the wall clock's due: this rank asks
                    self.pace[SEGMENT_SLOT] = 1.0   # the ranks to leave at the next vote
                if self.progress is None:
                    continue
                step = self.pace[VOTED_STEP]      # the progress display's look at the
                # last vote
                if step > shown:
                    spikes = self.pace[VOTED_SPIKES]
                    if self.pace[VOTED_STEP] == step:   # not changed meanwhile (a vote
                        shown = step                    # being written reads -1)
                        try:
                            self.progress.job(int(step), int(spikes))
                        except Exception:     # a closed stream: the signals still matter
                            self.progress = None
                continue
            except OSError:
                return
            if not got:            # the write end closed: the run's calls are over
                return
            if self.old >= 0:      # whoever waited on signals before us still hears them
                try:
                    os.write(self.old, got)
                except OSError:
                    pass
            self.pace[STOP_SLOT] = 1.0

    def deliver(self):
        """The noted signals' own handlers, now (KeyboardInterrupt raised here)."""
        while self.pending:
            sig = self.pending.pop(0)
            self.saved[sig](sig, None)

    def leave(self):
        """Handlers and the wakeup fd as they were; what is still pending stays for
        deliver()."""
        if self.thread is None:
            return
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(self.old)
        self.w.close()
        self.thread.join()
        self.r.close()
        self.thread = None
