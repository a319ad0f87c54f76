"""The progress of a run, shown on rank 0: simulated time, %, ETA, the real-time factor over
the last few seconds and the job's spikes per second.

On a terminal it is a tqdm bar (on stderr); otherwise (a log file, a batch job) a plain line
about every 10 % of the run; nothing when the run is quiet.  Every rank takes part in one
allreduce of its spike count at fixed steps (every ``every_steps``, the same on every rank
whatever the wall clock says), so the figure is the whole job's; only rank 0 prints.  A
real-time run leaves its one compiled call for none of that: the ranks' votes inside it sum
the spikes (spinn.kernels.agree) and rank 0's companion thread shows them
(spinn.runtime.companion), the last mark collectively at the run's end.
"""

import collections
import sys
import time

from spinn.recording.report import si as _si

RECENT_SECONDS = 5.0     # the real-time factor and spike rate shown are over this window
LINES = 10               # plain lines per run when not on a terminal


class Progress:
    def __init__(self, comm, dt, step0, n_steps, every_steps, stream=None, tty=None):
        self.comm, self.dt, self.step0, self.n_steps = comm, dt, step0, n_steps
        self.end = step0 + n_steps
        self.every = max(1, int(every_steps))
        self.next_mark = self.next_look = step0 + self.every
        self.show = comm.rank == 0
        self.tty = (sys.stderr.isatty() if tty is None else tty) if self.show else False
        self.stream = stream if stream is not None else (sys.stderr if self.tty else sys.stdout)
        self.start = time.perf_counter()
        self.samples = collections.deque([(self.start, step0, 0)])
        self.next_line = 1
        self.bar = None
        if self.show and self.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=round(n_steps * dt, 6), unit="ms", file=self.stream,
                            desc="simulating", dynamic_ncols=True, leave=True,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} "
                                       "ms [{elapsed}<{remaining}{postfix}]")

    def __call__(self, step, local_spikes):
        """After a tick or a compiled run of ticks: step reached, spikes this rank emitted so
        far in this run.  Collective at every ``every_steps`` (and at the end)."""
        if step < self.next_mark and step < self.end:
            return
        while self.next_mark <= step:
            self.next_mark += self.every
        spikes = int(self.comm.allreduce(int(local_spikes), "sum")) if self.comm.size > 1 \
            else int(local_spikes)
        self.job(step, spikes)

    def job(self, step, spikes):
        """A mark from the job's spikes so far, summed already (no collective): what the
        companion thread of a real-time run shows on rank 0 from the ranks' votes inside
        the compiled call (spinn.kernels.agree; spinn.runtime.companion).  Its own gate
        (next_look): which collective marks every rank takes part in (next_mark) must
        not depend on what rank 0's companion showed."""
        if step < self.next_look and step < self.end:
            return
        while self.next_look <= step:
            self.next_look += self.every
        if not self.show:
            return
        now = time.perf_counter()
        self.samples.append((now, step, spikes))
        while len(self.samples) > 2 and now - self.samples[1][0] >= RECENT_SECONDS:
            self.samples.popleft()
        t_old, s_old, k_old = self.samples[0]
        wall, sim_s = now - t_old, (step - s_old) * self.dt / 1000.0
        rtf = wall / sim_s if sim_s > 0 else 0.0
        rate = (spikes - k_old) / wall if wall > 0 else 0.0
        eta = rtf * (self.end - step) * self.dt / 1000.0
        if self.bar is not None:
            self.bar.set_postfix_str(f"RTF {rtf:.2f}, {_si(rate)} spikes/s", refresh=False)
            self.bar.update(round((step - self.step0) * self.dt, 6) - self.bar.n)
            return
        done = (step - self.step0) / self.n_steps if self.n_steps else 1.0
        if done * LINES >= self.next_line or step >= self.end:
            while self.next_line <= done * LINES:
                self.next_line += 1
            print(f"  {step * self.dt:9.1f} ms ({done:4.0%}), {now - self.start:6.1f} s, "
                  f"ETA {eta:5.1f} s, RTF {rtf:.2f} (last {wall:.1f} s), {_si(rate)} spikes/s",
                  file=self.stream, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
