"""Python's side of the compiled tick loop (spinn.runtime.fused.run_ticks): a rank's run
as compiled calls of many ticks each, and what happens between them — the arguments set
once and patched, the returned state kept, the recorded spikes and late ticks taken, the
live socket read when a call asks, the common stops where the ranks meet (progress, the
overrun check, run_forever's agreed stop), and in real time the warm-up tick, the clocks
started together and the one long call of a quiet run (spinn.runtime.companion)."""

import time

import numpy as np

from spinn.kernels.pacing import NAP_MARGIN
from spinn.runtime.companion import STOP_SLOT, Companion

PACE_SLOTS = 26    # fused.run_ticks' real-time state (its docstring; 13-25: spinn.kernels.agree)
LATE_CAP = 4096    # late ticks a compiled call records before it returns to Python
FOREVER_CHECK = 100   # run_forever: ticks between the ranks' agreements on request_stop()
VOTE_TICKS = 50       # real time: ticks between the votes on stopping inside a call
ASKED, LATE, TOGETHER = 1.0, 2.0, 3.0    # pace[15]: the vote ended the call (spinn.kernels.agree)
# fused.run_ticks' arguments that each call returns anew, in the order it returns them
RETURNED = ("q_step", "q_word", "released", "stage", "inbox", "inbox_tmp", "pend", "n_pend",
            "pend_t0", "pend_k", "send")


def run_compiled(sim, fused, D, end, progress, realtime=False):
    """Nothing to do in Python between ticks: sim's run to step ``end`` in compiled calls
    (spinn.runtime.fused.run_ticks) of sim.call_ticks() whole ticks each, exchange
    included, or, in a quiet real-time run, one; spikes are recorded inside them.

    Between calls Python does as little as it can: the arguments are made once and only
    those that change are set again (the step, the recording tail, the state the call
    returned); the counts are summed by the calls into one array and become counters
    at the run's end; the live socket is read only when a call asks.  In a real-time
    run that work lies between a call's last tick and the next call's first, which is
    late unless it fits in two ticks' slack (0.35 ms for VA CUBA's 0.2 ms ticks): with
    the caches cold after a second of ticks, the first version took 0.49 ms."""
    plan, d, c, x = sim.plan, sim.delays, sim.counters, sim.wire
    rec = sim.recorder if sim.recorder is not None and sim.recorder.active else None
    live = sim.live
    clock = time.perf_counter
    pend, n_pend, pend_t0, pend_k = np.empty(0, np.uint64), -1, 0, 0
    if sim.pending is not None:
        pend, (pend_t0, pend_k) = sim.pending
        n_pend = pend.size
    seconds = np.zeros(4)
    # the run's counts, summed by its calls (fused.run_ticks' totals; 6 and 7, the
    # recorded spikes, are each call's)
    totals = np.zeros(10, np.int64)
    # real time inside the compiled loop (fused.run_ticks: pace, lates)
    pace = np.zeros(PACE_SLOTS)
    pace[0] = -1.0
    pace[1] = plan.dt / 1000.0 * sim.network.time_scale_factor if realtime else 0.0
    pace[5] = plan.dt / 1000.0
    pace[10] = end           # the run's last step: its last tick waits for its deadline
    # a tick's slack beyond NAP_MARGIN is slept (spinn.kernels.pacing) when the host has
    # no core to spare (spinn.runtime.clocks.spare_core), else spun whole
    pace[12] = 0.0 if sim.spare_core else NAP_MARGIN
    forever = live is not None and live.forever
    # a real-time run is one call: each return to Python and back costs ~0.4 ms, a late
    # tick when ticks are short (spinn.runtime.companion does what Python did between
    # calls).  run_forever on one rank: request_stop() stops the call; on several, and
    # on_overrun="stop", the ranks vote inside it every VOTE_TICKS, and the votes sum the
    # job's spikes for the progress display, which rank 0's companion shows; with live
    # output on several ranks they also agree when to leave the call together, for a tag
    # a client reprogrammed at rank 0's board to reach the others
    alone = forever and sim.comm.size == 1
    whole = bool(realtime)
    retag = live is not None and live.outputs and sim.comm.size > 1
    # a real-time run with a checkpoint directory (spinn.runtime.longrun.run_segments):
    # a signal, or the wall clock's checkpoint, ends the call where the ranks agree
    segmented = whole and sim.segmented
    voting = whole and (sim.stop_on_overrun or (forever and not alone) or
                        progress is not None or retag or segmented)
    if voting:
        pace[13], pace[14] = VOTE_TICKS * plan.tick_steps, sim.step
        pace[19] = 1.0 if sim.stop_on_overrun else 0.0
        pace[20] = 1.0 if sim.comm.size > 1 else 0.0
    sim.ticks_per_call = -(-(end - sim.step) // plan.tick_steps) if whole \
        else sim.call_ticks(realtime)
    lates = np.zeros(min(sim.ticks_per_call, LATE_CAP) + 1, np.int64)
    # calls stop at the same steps on every rank (start + j·every), whatever a call's
    # early return (recording buffers full, a live datagram waiting) did: progress()
    # and the overrun check are collective there
    start, every = sim.step, max(1, sim.ticks_per_call) * plan.tick_steps
    if forever and not alone and not whole:   # the ranks agree every FOREVER_CHECK ticks
        every = FOREVER_CHECK * plan.tick_steps
    companion = Companion(pace, active=whole, progress=progress if whole else None,
                          deadline=sim.leave_at if segmented else None)
    if alone:       # request_stop() from any thread: the call returns after its tick
        live.wake = lambda: pace.__setitem__(STOP_SLOT, 1.0)
    elif forever and voting:    # ... or this rank's vote says so from the next vote on
        live.wake = lambda: pace.__setitem__(17, 1.0)
        if live.stop_requested:     # asked before (request_stop sets it, then wakes)
            pace[17] = 1.0
    args = list(sim._ticks_args(D, sim.step, rec, totals, pend, n_pend, pend_t0,
                                 pend_k, seconds, pace, lates))
    at = fused.ticks_slots()
    i_step, i_end, i_rec, i_out = at["step"], at["end"], at["rec_steps"], at["sendto"]
    back = [at[name] for name in RETURNED]      # where a call's returned state goes
    live_args = live.compiled_output() if live is not None else None   # args[i_out:]
    entry = fused.ticks_entry(sim._update_types(D), args)
    stable = False       # whether the returned state's types are the arguments'
    ticks0, late_total = c["ticks"], 0
    # real time: the run's first tick is a call of its own, unpaced (it warms the caches
    # and pages up: ~10 times a later tick), then every rank meets at a barrier and
    # starts its clock on entering the next call.  Were each rank's clock started at the
    # end of its own first tick, a rank that got there first would stay behind its own
    # clock for the whole run when the exchange is overlapped (lag 2: the first tick
    # waits for no one) — measured: Brunel 0.25 on 2 ranks, every tick of rank 0 late,
    # up to 62 ms, while it ran at RTF 0.23 unpaced
    warm = realtime and sim.step < end

    def send_gathered():
        """A call of no tick that sends the live output gathered so far (each call
        leaves it for its millisecond to end: fused.run_ticks)."""
        if live_args[10][0] < 0:
            return
        keep, pace[10] = pace[10], sim.step
        args[i_step] = args[i_end] = sim.step
        for i, v in zip(back, entry(*args)[4:]):
            args[i] = v
        pace[10] = keep

    try:
        companion.enter()
        while sim.step < end:
            stop = min(end, start + ((sim.step - start) // every + 1) * every)
            # cleared, then what was noted before: a signal after this sets it again
            # and the call returns after its tick
            pace[STOP_SLOT] = 0.0
            companion.deliver()
            if alone and not warm and live.stop_requested:
                sim.forever_done = True
                break               # the run ends here (request_stop after the reset
                # set the slot again: the call returns after its first tick)
            if segmented and (sim.leave_asked or (sim.leave_at is not None and
                                                  clock() >= sim.leave_at)):
                pace[25] = 1.0      # a signal noted, or a checkpoint due: end the segment
            if warm:
                stop = min(stop, sim.step + plan.tick_steps)
                pace[1] = 0.0
            lates[0] = 0
            totals[6] = totals[7] = 0
            done = int(totals[0])
            if live is not None:   # the events received so far: spikes of the next tick
                live.before_update(sim.step, min(plan.tick_steps, stop - sim.step),
                                   compiled=True)
                if whole and retag and live.tags_changed():
                    pace[24] = 1.0        # rank 0: the ranks leave together to share them
                out = live.compiled_output()
                if out is not live_args:       # a tag reprogrammed: new addresses
                    send_gathered()
                    live_args = out
                    kinds = _kinds(args)
                    args[i_out:i_out + len(out)] = out
                    if _kinds(args) != kinds:
                        entry = fused.ticks_entry(sim._update_types(D), args)
            args[i_step], args[i_end] = sim.step, stop
            if rec is not None:
                args[i_rec], args[i_rec + 1] = tail = rec.tail()
                room = tail[0].size
            if sim.status is not None and pace[1] > 0.0:   # its clock tells its step
                sim.status[1:] = (time.time_ns(), round(pace[1] * 1e9), stop)
            a = clock()
            ret = entry(*args)
            sim.timers["local"] += clock() - a
            sim.step, local, n_out, t0 = ret[0], ret[1], ret[2], ret[3]
            if not stable:       # typed again if the call returned other types
                stable = _kinds(ret[4:]) == _kinds([args[i] for i in back])
            for i, v in zip(back, ret[4:]):
                args[i] = v
            if not stable:
                entry = fused.ticks_entry(sim._update_types(D), args)
            if live is not None:
                live.add_compiled_input()
            if sim.status is not None:
                sim.status[:2] = (sim.step, 0)
            if rec is not None:     # recorded into rec.tail(), of `room` spikes
                if totals[6] > room:     # the last tick overflowed: record it again
                    rec.took(int(totals[7]))
                    rec.fill_spikes(sim, local, n_out, t0)
                else:
                    rec.took(int(totals[6]))
            if lates[0]:
                late_total += int(lates[0])
                sim.lateness.add_compiled(ticks0 + done, lates)
            companion.deliver()     # a safe point: the call's state is kept
            if totals[0] == done:   # no tick: the socket is Python's first (live input)
                continue
            if warm:      # not one of the common stops: the run's checks come later
                warm = False
                pace[1] = plan.dt / 1000.0 * sim.network.time_scale_factor
                sim.comm.barrier()
                pace[0] = -2.0
                continue
            if pace[15] == LATE:    # every rank's call stopped at this step
                sim.lateness.add_pace(pace)
                sim._stop_if_late()        # collective
            if pace[15] == ASKED:
                end = sim.step
                sim.forever_done = True
            if pace[15] == TOGETHER:    # every rank's call ended at this step, and
                pace[15] = 0.0              # every rank reads the same reasons: the sums
                votes = sim.votes()[0]
                if votes[8] != 0:           # rank 0's tags to the others (collective);
                    pace[24] = 0.0          # the run goes on
                    live.share_tags()
                if votes[9] != 0:           # the segment ends here: Python's turn
                    pace[25] = 0.0          # (longrun: the signal, the checkpoint)
                    end = sim.step
                    if sim.stop_on_overrun:     # the late ticks since the last vote
                        sim.lateness.add_pace(pace)
                        sim._stop_if_late()     # collective
            if realtime and sim.stop_on_overrun and sim.step == stop:
                sim.lateness.add_pace(pace)
                sim._stop_if_late()        # collective: at the common stops only
            if forever and not voting and sim.step == stop and live.agreed_stop():
                end = sim.step             # collective too: every rank stops here
                sim.forever_done = True
            if progress is not None and not whole:
                progress(sim.step, int(totals[1]))
        if live is not None:      # run_forever's end, decided between calls
            send_gathered()
        if progress is not None and whole:   # the last mark, collective: every rank ends
            companion.leave()                # here (its thread showed the others)
            progress(sim.step, int(totals[1]))
    finally:
        companion.leave()
        if pace[16] != 0.0:     # left by an exception (Ctrl-C) with a vote in flight: a
            sim.abandon_votes()  # next run votes on fresh buffers, MPI keeps these
        if forever:
            live.wake = None
        d.q_step, d.q_word, d.released = (args[at[n]] for n in ("q_step", "q_word", "released"))
        for name in ("stage", "inbox", "inbox_tmp"):
            x[name] = args[at[name]]
        sim.send = args[at["send"]]
        pend, n_pend, pend_t0, pend_k = (args[at[n]] for n in ("pend", "n_pend", "pend_t0",
                                                                "pend_k"))
        sim.pending = (pend[:n_pend].copy(), (pend_t0, pend_k)) if n_pend >= 0 else None
        for name, i in (("ticks", 0), ("spikes_emitted", 1), ("unrouted_packets", 2),
                        ("packets_sent", 3), ("packets_sent_remote", 8),
                        ("packets_received", 9), ("synaptic_events", 4),
                        ("population_table_misses", 5)):
            c[name] += int(totals[i])
        c["overruns"] += late_total
        if live is not None:
            live.add_compiled_counts(live_args[-1])
        if realtime:
            sim.lateness.add_pace(pace)
            # the real-time clock's origin (wtime seconds at step pace[2]): a benchmark
            # maps steps to wall time with it
            sim.clock_origin = (float(pace[0]), int(pace[2]))
    if seconds.any():   # the compiled loop's phases, by its clock
        for name, v in zip(("update", "exchange", "deliver", "route"), seconds):
            sim.timers[name] += float(v)
        sim.timers["local"] -= float(seconds.sum())
    companion.deliver()     # a signal that came after the last call's safe point


def _kinds(args):
    """What ticks_entry's skipped typing depends on, cheaply: each argument's dtype, ndim and
    layout (arrays) or Python type."""
    return tuple((a.dtype.num, a.ndim, a.flags.c_contiguous) if isinstance(a, np.ndarray)
                 else type(a) for a in args)
