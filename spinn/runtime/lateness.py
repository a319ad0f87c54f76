"""A rank's real-time record of one run: which ticks were late, why, the latest one and the
time_scale_factor that would have held — kept alike by the per-tick loop (``pace``, which
also waits for each deadline) and the compiled loop (``add_compiled`` and ``add_pace``, from
fused.run_ticks' lates and pace).  The job's figures are their union over ranks
(spinn.simulation.Simulation._late_ticks).

A late tick's cause, in the order the job's union keeps the strongest of the ranks':
STALL (none of the others: the machine stopped the rank, or it waited for a rank that was
stopped), BETWEEN_CALLS (a compiled call's first tick, behind after an on-time tick: the
caller's work between calls), CARRIED (it started behind its schedule after a late tick),
OVERWORKED (its own work, all but the exchange's waiting, exceeded the tick's wall budget).
"""

import time

import numpy as np

STALL, BETWEEN_CALLS, CARRIED, OVERWORKED = 0, 1, 2, 3      # fused.run_ticks' cause codes
CAUSE_NAMES = ("stall", "between_calls", "behind", "overworked")
PHASE_NAMES = ("update", "record", "route", "exchange", "deliver")


class Lateness:
    def __init__(self, rank, dt):
        self.rank, self.dt = rank, dt
        self._ticks = []             # indices (in the run) of this rank's late ticks
        self._causes = []            # and the cause of each
        self._coded = []             # the compiled calls' (4 × index + cause), not yet split
        self.worst_ms = 0.0          # the largest lateness
        self.worst = None            # what that tick spent its time on
        self.scale_needed = 0.0      # the time_scale_factor that would have held
        self._last_late = False      # the per-tick loop's previous tick was late

    @property
    def ticks(self):
        self._split()
        return self._ticks

    @property
    def causes(self):
        self._split()
        return self._causes

    def _split(self):
        for coded in self._coded:
            self._ticks.extend((coded >> 2).tolist())
            self._causes.extend((coded & 3).tolist())
        self._coded = []

    def counts(self):
        """{cause name: late ticks of this rank with that cause}."""
        n = np.bincount(np.asarray(self.causes, np.int64), minlength=len(CAUSE_NAMES))
        return dict(zip(CAUSE_NAMES, n.tolist()))

    def add_compiled(self, first_tick, lates):
        """A compiled call's late ticks (lates[1:1 + lates[0]]: 4 × index in the call +
        cause)."""
        # one numpy step between real-time calls; split later (the lists took 86 µs there)
        self._coded.append(lates[1:1 + lates[0]] + 4 * first_tick)

    def add_pace(self, pace):
        """The compiled loop's real-time state, kept over a run's calls (pace: the
        time_scale_factor needed, the latest tick so far)."""
        self.scale_needed = max(self.scale_needed, float(pace[6]))
        if pace[3] * 1000.0 > self.worst_ms:
            self.worst_ms = pace[3] * 1000.0
            rest = pace[8] * 1000.0
            # its update and the rest of the tick (route, record, exchange, deliver); the
            # compiled loop times no finer per tick
            self.worst = {
                "t_ms": pace[4] * self.dt, "late_ms": pace[3] * 1000.0,
                "rank": self.rank, "update_ms": pace[7] * 1000.0, "record_ms": 0.0,
                "route_ms": 0.0, "exchange_ms": rest, "deliver_ms": 0.0,
                "phase": "update" if pace[7] * 1000.0 >= rest else "exchange",
                "compiled_loop": True}

    def pace(self, wall0, done_s, tsf, tick, t0=0, phases=None, slowest=None, budget_s=None,
             behind=False):
        """The per-tick loop: wait for the tick's deadline (wall0 + simulated seconds ×
        tsf); a tick that ends after it is late, with its cause (phases: its update,
        record, route, exchange and deliver seconds; budget_s its wall budget; behind: it
        started after its start) and, when the latest, its record (slowest: (label,
        seconds) of its slowest population).  Returns whether it was late."""
        now = time.perf_counter()
        deadline = wall0 + done_s * tsf
        if done_s > 0:
            self.scale_needed = max(self.scale_needed, (now - wall0) / done_s)
        late = now - deadline
        last_late, self._last_late = self._last_late, late > 0
        if late > 0:
            own = None if phases is None else sum(phases) - phases[3]   # all but exchange
            cause = OVERWORKED if own is not None and budget_s is not None and \
                own > budget_s else CARRIED if behind and last_late else STALL
            self._ticks.append(tick)
            self._causes.append(cause)
            if late * 1000.0 > self.worst_ms and phases is not None:
                self.worst = self._record(late, t0, phases, slowest)
            self.worst_ms = max(self.worst_ms, late * 1000.0)
            return True
        # sleep (releasing the GIL: a live client's threads in this process run) until
        # 0.4 ms before the deadline, then spin: sleeps overshoot by 0.11 ms (median) and
        # 0.27 ms (99th percentile) here
        if deadline - now > 0.0005:
            time.sleep(deadline - now - 0.0004)
        while time.perf_counter() < deadline:
            pass
        return False

    def _record(self, late, t0, phases, slowest):
        """A late tick's phases (ms), its slowest population and its longest phase."""
        rec = {"t_ms": t0 * self.dt, "late_ms": late * 1000.0, "rank": self.rank,
               **{f"{n}_ms": v * 1000.0 for n, v in zip(PHASE_NAMES, phases)}}
        if slowest is not None:
            rec["slowest_population"] = slowest[0]
            rec["slowest_population_update_ms"] = float(slowest[1]) * 1000.0
        rec["phase"] = max(PHASE_NAMES, key=lambda n: rec[f"{n}_ms"])
        return rec

    def stop_message(self, t_ms):
        """on_overrun="stop": what every rank is told when this rank was late (else None)."""
        if not self.ticks:
            return None
        w = self.worst
        where = (f" (rank {w['rank']}: at t = {w['t_ms']:g} ms, {w['late_ms']:.2f} ms late, "
                 f"mostly {w['phase']})") if w else ""
        return (f"real-time run stopped (on_overrun=\"stop\") at t = {t_ms:g} ms: "
                f"{len(self.ticks)} tick(s) late{where}; time_scale_factor="
                f"{self.scale_needed:.2f} would have held, or use on_overrun=\"count\"")
