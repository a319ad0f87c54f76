"""The tick loop of one rank.

Invariants of ``run`` (every rank, every tick of k ≤ tick_steps steps starting at step T0):

1. update: each local group advances k steps in one compiled call, reading and clearing ring
   slots T0 .. T0+k-1, and appends its spikes as packets sorted by (step, key);
2. the groups' runs are merged into one (step, key)-sorted list; recorded spikes are copied;
3. route: each packet goes once to each destination of its core (resolved from the rank's
   table at build);
4. exchange: with the routing neighbours only, every rank takes part (even with nothing to
   send) — point to point inside the compiled loop (run_ticks, spinn/kernels/exchange.py),
   or MPI's neighbourhood collectives on the per-tick path;
5. deliver: the run routed to itself and the runs received are merged into canonical
   (step, key) order and each synapse adds into slot (T0 + step + delay) & mask — at the
   tick's end (plan.lag 1, delay ≥ tick_steps ≥ k) or after the next tick's update (lag 2,
   delay ≥ 2 ticks, residual delay-stage delays too), so nothing lands in a slot already
   read, and the canonical order makes every floating-point sum identical for any rank
   count and on either path.  A lag-2 tick still pending when run() returns is delivered
   after the next run's first update, as in one long run.
"""

import time

import numba
import numpy as np

from spinn.dynamics.stdp import HISTORY, deliver_plastic, record_post_spikes
from spinn.kernels.handles import pack
from spinn.kernels.live import idle_input, idle_output
from spinn.kernels.packets import merge_runs, route_packets
from spinn.kernels.record import record_spikes
from spinn.mapping.routing import lookup
from spinn.runtime.build import N_RECEPTORS, RankCores, build_group, build_synapses, initial_state
from spinn.runtime.clocks import local_clock, nap_function
from spinn.runtime.comm import LocalChannel
from spinn.runtime.compiled_run import FOREVER_CHECK, PACE_SLOTS, run_compiled
from spinn.runtime.currents import Currents
from spinn.runtime.delays import DelayExtension
from spinn.runtime.direct import attach_direct_inputs, direct_projections
from spinn.runtime.fused import compiled
from spinn.runtime.lateness import Lateness

# "local": whole ticks in one compiled call, unsplit (on one rank; several ranks time the
# compiled loop's phases with MPI_Wtime)
PHASES = ("update", "route", "exchange", "deliver", "record", "local")
LOCAL_TICKS = 250  # ticks per compiled call; progress is shown (collectively) between calls
# in real time a call spans at least this much simulated time: Python's work between calls
# (~0.5 ms) is longer than a short tick's slack, and made the one or two ticks after every
# call late (VA CUBA, 0.2 ms ticks: 2 of every 250 ticks)
REALTIME_CALL_MS = 1000.0
WIRE_CAPACITY = 512  # words of a tick's first message to a neighbour (count + packets)


class RankSimulator:
    def __init__(self, network, plan, comm, compile_order=None):
        """compile_order (a cache without spinn's kernels; spinn.simulation): "lead" builds
        its synapses — compiling the build kernels into the cache — before the others start
        theirs, "follow" waits for that and loads them; None: every rank at once."""
        self.network, self.plan, self.comm = network, plan, comm
        if compile_order == "follow":
            comm.barrier()
        t0 = time.perf_counter()
        local = plan.local_cores()
        self.cores = RankCores(plan, [p.celltype.is_source for p in network.populations])
        self.n_local = self.cores.n_local
        self.groups = []
        pop_of = plan.population_of(local)
        for pop in network.populations:
            cores = local[pop_of == pop.index]
            if cores.size == 0:
                continue
            lo, hi = plan.core_bounds(cores)
            keys = np.concatenate([plan.core_key([c])[0] + np.arange(h - l, dtype=np.uint32)
                                   for c, l, h in zip(cores, lo, hi)]).astype(np.uint32)
            self.groups.append(build_group(network, plan, pop, cores,
                                           self.cores.local_base(cores[:1])[0], keys))
        direct = direct_projections(network, plan)
        served = {p.index for p in direct.values()}
        static = [p for p in network.projections if not p.plastic and p.index not in served]
        self.static = build_synapses(network, plan, self.cores, static)
        attach_direct_inputs(self, network, plan, direct)
        # direct sources write slot t + delay during the update: they must run after every
        # neuron group has read (and cleared) this tick's slots, so that a delay up to
        # n_slots wraps onto slots already consumed — as delivery after the tick does
        self.groups.sort(key=lambda g: g.direct is not None)
        self.direct_counts = np.zeros(len(network.projections), np.int64)
        for g in self.groups:
            if g.direct is not None:
                self.direct_counts[direct[g.pop.index].index] += int(
                    np.count_nonzero(g.direct[0] >= 0))
        self.lid_gid = np.empty(self.n_local, np.int64)   # gid of each rank-local index
        for g in self.groups:
            self.lid_gid[g.base:g.base + g.n] = g.pop.gid_lo + g.index
        self.plastic = [PlasticProjection(p, build_synapses(
            network, plan, self.cores, [p], plastic=True))
            for p in network.projections if p.plastic]
        self._setup_history()
        stage_rows = [m.mpt_hi > m.mpt_lo for m in self.static]
        for pp in self.plastic:
            for st, m in enumerate(pp.matrices):
                stage_rows[st] |= m.mpt_hi > m.mpt_lo
        self.core_has_rows = np.logical_or.reduce(stage_rows)
        self.delays = DelayExtension(plan, self.cores.slot, self.static, stage_rows)
        # sources take no synaptic input: the ring covers the neuron cores (first) only
        # (a third channel carries the current sources' input: spinn/runtime/currents.py)
        self.currents = Currents(network, self.groups)
        self.ring = np.zeros((plan.n_slots, N_RECEPTORS + bool(network.current_sources),
                              self.cores.n_ring))
        self.slot_mask = plan.n_slots - 1
        if compile_order == "lead":
            comm.barrier()       # the others now build from the kernels compiled so far
        self._setup_routing()
        self._setup_buffers()
        # generated and compiled (or loaded from the cache) here, so that build time counts it
        self.kernels = [g.celltype.kernel() for g in self.groups]
        compiled(self.kernels, tuple(g.celltype.kernel_args(g) for g in self.groups))
        self.recorder = None  # attached by spinn.recording; collect() runs after each update
        self.live = None      # spinn.live.LiveIO, attached by the build when there is live I/O
        self.stop_on_overrun = False   # run(on_overrun="stop"), set by spinn.simulation
        self.spare_core = False        # spin a real-time tick's slack (spinn.simulation)
        # int64[4] the rank's watcher reads (spinn.runtime.watcher.STATUS_WORDS): the last
        # completed step; a real-time call's start, nanoseconds per step and end
        self.status = None
        self.step = 0
        self._reset_counters()
        # a real-time run cut into segments by a checkpoint policy (longrun.run_segments):
        # its call ends where the ranks agree once a signal was noted (leave_asked) or at
        # the wall clock's checkpoint time (leave_at, perf_counter seconds)
        self.segmented, self.leave_asked, self.leave_at = False, False, None
        self.forever_done = False    # run_forever's agreed stop came (longrun: no more)
        self.build_seconds = time.perf_counter() - t0

    def _setup_history(self):
        """Post-spike history of the local targets of plastic projections (spinn/dynamics/stdp)."""
        taus = sorted({p.proj.synapse.timing.tau_minus for p in self.plastic})
        self.tau_minus = np.array(taus, np.float64)
        plastic_post = np.zeros(self.n_local, bool)
        for pp in self.plastic:
            pp.rule_k = taus.index(pp.proj.synapse.timing.tau_minus)
            for g in self.groups:
                if g.pop is pp.proj.post.parent:
                    plastic_post[g.base: g.base + g.n] = True
        n_hist = int(plastic_post.sum())
        self.hist_row = np.full(self.n_local, -1, np.int64)
        self.hist_row[plastic_post] = np.arange(n_hist)
        self.hist_t = np.zeros((n_hist, HISTORY), np.int64)
        self.hist_k = np.zeros((n_hist, HISTORY, max(len(taus), 1)))
        self.hist_n = np.zeros(n_hist, np.int64)

    @property
    def matrices(self):
        """Every synaptic matrix of the rank: static stages, then each plastic projection's."""
        return self.static + [m for pp in self.plastic for m in pp.matrices]

    @property
    def projection_counts(self):
        counts = self.static[0].projection_counts + self.direct_counts
        for pp in self.plastic:
            counts += pp.matrices[0].projection_counts
        return counts

    def _setup_routing(self):
        """Each local core's destinations, resolved once through the rank's compressed
        routing table (first matching entry), as numbers 0 (this rank), 1.. (plan.dests):
        routing a packet then costs its number of destinations, whatever the rank count."""
        plan, cores = self.plan, self.cores
        self.dests, self.sources = list(plan.dests), list(plan.sources)
        number = {plan.rank: 0, **{r: i + 1 for i, r in enumerate(self.dests)}}
        local = plan.local_cores()
        routes = [lookup(plan.table, int(k)) or () for k in plan.core_key(local)]
        counts = np.zeros(cores.n_known, np.int64)
        counts[cores.slot[local]] = [len(r) for r in routes]
        self.route_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.route_dst = np.zeros(int(counts.sum()), np.int64)
        for k, route in zip(cores.slot[local], routes):
            self.route_dst[self.route_ptr[k]:self.route_ptr[k + 1]] = [number[r] for r in route]
        self.max_fanout = int(counts.max()) if counts.size else 0
        self.neighbours = self.comm.neighbourhood(self.sources, self.dests)
        # the compiled loop's channel: point to point with the same neighbours
        self.channel = LocalChannel() if self.comm.size == 1 else \
            (self.comm.channel() if hasattr(self.comm, "channel") else None)
        # the clock compiled code reads (MPI_Wtime, or the monotonic clock)
        self.wtime = self.channel.functions()[3] if self.channel is not None \
            else local_clock()
        self.pending = None      # lag 2: (packets, (t0, k)) of a tick not delivered yet
        if self.channel is not None:
            n_src, n_dest = len(self.sources), len(self.dests)
            self.wire = {
                "sources": np.array(self.sources, np.int64),
                "dests": np.array(self.dests, np.int64), "cap": WIRE_CAPACITY,
                "rbuf": np.zeros((n_src, WIRE_CAPACITY), np.uint64),
                "stage": np.empty(1024, np.uint64),
                "reqs": np.zeros(2 * n_src + 2 * n_dest + 1, self.channel.request_dtype),
                "statuses": np.zeros((2 * n_src + 2 * n_dest + 1) * self.channel.status_words,
                                     np.int32),
                "inbox": np.empty(1024, np.uint64), "inbox_tmp": np.empty(1024, np.uint64),
                "bounds": np.zeros(n_src + 2, np.int64)}

    def _setup_buffers(self):
        tick = self.plan.tick_steps
        cap = sum(g.n for g in self.groups) * tick + 1
        self.out = np.empty(cap, np.uint64)
        self.tmp = np.empty(cap, np.uint64)
        self.send = np.empty(cap, np.uint64)   # grows when a tick routes more (route_packets)
        self.send_counts = np.zeros(1 + len(self.dests), np.int64)
        self.run_bounds = np.zeros(len(self.groups) + 1, np.int64)
        self.inbox = np.empty(1024, np.uint64)
        self.inbox_tmp = np.empty(1024, np.uint64)
        self.inbox_bounds = np.zeros(2 + len(self.sources), np.int64)

    def _reset_counters(self):
        """Provenance counters and phase timers cover one run() each."""
        self.counters = {k: 0 for k in (
            "spikes_emitted", "packets_sent", "packets_sent_remote", "packets_received",
            "synaptic_events", "unrouted_packets", "population_table_misses", "ticks",
            "overruns", "stdp_history_overflows", "direct_input_events")}
        self.timers = {k: 0.0 for k in PHASES}
        self.lateness = Lateness(self.plan.rank, self.plan.dt)   # real time: late ticks
        self.ticks_per_call = LOCAL_TICKS    # of the compiled loop (more in real time)
        self.group_seconds = np.zeros(len(self.groups))       # each group's update time
        self.group_spikes = np.zeros(len(self.groups), np.int64)   # and packets emitted

    # ---- the loop -------------------------------------------------------------------
    def whole_ticks_compiled(self, realtime=False, callbacks=False):
        """Whether run() takes the compiled loop (whole ticks, exchange included, in one
        compiled call) rather than the per-tick Python loop.  The same on every rank: it
        depends on the network and the run's arguments, not on the local groups."""
        state_recorded = any(var != "spikes" for p in self.network.populations
                             for var in p.recording)
        return (self.channel is not None and not self.plastic and not callbacks
                and not state_recorded and not self.network.current_sources
                and (self.live is None or self.live.compiled_ok()))

    def warm_up(self, realtime=False, callbacks=False):
        """Compile, or load from numba's cache, the tick functions the next run() calls,
        before its clock starts: the generated update of this rank's groups and, on the
        compiled path, the whole tick loop, for the types run() will pass.  Changes no
        state; no communication."""
        G = tuple(g.celltype.kernel_args(g) for g in self.groups)
        fused = compiled(self.kernels, G)
        D = pack(G)
        typeof = numba.typeof
        fused.pointer(self._update_types(D))
        if self.whole_ticks_compiled(realtime, callbacks):
            rec = self.recorder if self.recorder is not None and self.recorder.active \
                else None
            args = self._ticks_args(D, self.step, rec, np.zeros(10, np.int64),
                                    np.empty(0, np.uint64), -1, 0, 0, np.zeros(4),
                                    np.zeros(PACE_SLOTS), np.zeros(LOCAL_TICKS + 1, np.int64))
            fused.compile_ticks(self._update_types(D), tuple(typeof(a) for a in args))
            if rec is not None:   # a tick that overflows the buffers is recorded again
                record_spikes.compile(tuple(typeof(a) for a in (
                    self.out, 0, 0, self.plan.index_bits, self.cores.slot,
                    self.cores.gid_lo, self.cores.base, rec.rec_mask, self.step,
                    *rec.tail(), 0)))
        else:
            self._warm_up_tick_kernels()
        if self.recorder is not None and self.recorder.active:
            # the writer's split: compiled by a real-time run's writer thread inside the
            # clock, it took the core for ~0.2 s (a 235 ms stall on 2 ranks)
            self.recorder.warm_up()

    def _warm_up_tick_kernels(self):
        """The per-tick path's compiled helpers (merge, route, deliver, record, STDP) called
        once on nothing — compiled or loaded before the clock starts, so that the first tick
        of a real-time run is as fast as the others.  Changes no state."""
        plan, d = self.plan, self.delays
        none = np.zeros(0, np.uint64)
        merge_runs(self.out, np.zeros(len(self.groups) + 1, np.int64), self.tmp)
        route_packets(self.out, 0, plan.index_bits, self.cores.slot, self.route_ptr,
                      self.route_dst, self.send, np.zeros_like(self.send_counts))
        merge_runs(self.inbox, np.zeros(self.inbox_bounds.size, np.int64), self.inbox_tmp)
        # a tick far before any queued packet: nothing is released (with lag 2 the queues
        # hold packets due in the pending tick, which must wait for it)
        d.deliver(none, -(1 << 40), 0, self.ring, self.slot_mask, self.core_has_rows)
        rec = self.recorder
        if rec is not None and rec.active:
            rec.fill_spikes(self, self.out, 0, self.step)
        if self.live is not None:
            self.live.warm_up(self.out, self.run_bounds)
        if self.plastic:
            record_post_spikes(self.out, 0, self.step, plan.index_bits, self.cores.slot,
                               self.cores.base, self.hist_row, self.tau_minus, plan.dt,
                               self.hist_t, self.hist_k, self.hist_n)
            for stage in range(plan.n_stages):
                for pp in self.plastic:
                    pp.deliver(none, stage, self.step, plan, self)

    def run(self, n_steps, realtime=False, callback=None, progress=None, keep_counters=False):
        """Advance n_steps; ``callback(step)`` runs on every rank after each tick, and
        ``progress(step, spikes)`` after each tick or each compiled run of ticks, with the
        spikes this rank emitted so far in this run (display only).  keep_counters: this
        call continues the previous one's counters (a run cut into segments)."""
        if not keep_counters:
            self._reset_counters()
        plan, ring, timers = self.plan, self.ring, self.timers
        c = self.counters
        clock = time.perf_counter
        wall0 = clock()
        end = self.step + n_steps
        spikes_total = unrouted_total = sent = sent_remote = received = ticks = misses = 0
        collect = self.recorder.collect if self.recorder is not None and \
            self.recorder.active else None
        G = tuple(g.celltype.kernel_args(g) for g in self.groups)   # alive while D is used
        fused = compiled(self.kernels, G)
        D = pack(G)
        if self.whole_ticks_compiled(realtime, callback is not None):
            run_compiled(self, fused, D, end, progress, realtime)
            end = self.step   # done: skip the per-tick loop
        live = self.live
        start = self.step
        while self.step < end:
            k = min(plan.tick_steps, end - self.step)
            t0 = self.step
            a = clock()
            if realtime:
                group_before = self.group_seconds.copy()
            if self.currents.sources:
                self.currents.inject(ring, t0, k, self.slot_mask)
            if live is not None:
                live.before_update(t0, k)
            n_out = fused.update(*D, ring, t0, self.slot_mask, k, self.out, self.run_bounds,
                                 self.wtime, self.group_seconds, self.group_spikes)
            if live is not None:
                live.after_update(self.out, self.run_bounds, t0)
            if self.plastic:
                record_post_spikes(self.out, n_out, t0, plan.index_bits, self.cores.slot,
                                   self.cores.base, self.hist_row, self.tau_minus, plan.dt,
                                   self.hist_t, self.hist_k, self.hist_n)
            b = clock()
            if collect is not None:
                collect(self, t0, k, n_out)
            b2 = clock()
            local = merge_runs(self.out, self.run_bounds, self.tmp)
            spikes, unrouted, self.send = route_packets(
                local, n_out, plan.index_bits, self.cores.slot, self.route_ptr,
                self.route_dst, self.send, self.send_counts)
            spikes_total += spikes
            unrouted_total += unrouted
            d = clock()
            n_self = int(self.send_counts[0])
            recv, rcounts = self.neighbours.exchange(self.send[n_self:], self.send_counts[1:])
            e = clock()
            merged = self._inbox(n_self, recv, rcounts)
            n_recv = merged.size
            if plan.lag == 2:   # deliver the previous tick now; keep this one for the next
                merged, (d_t0, d_k) = self._swap_pending(merged, (t0, k))
            else:
                d_t0, d_k = t0, k
            if merged is not None:
                events, miss = self.delays.deliver(merged, d_t0, d_k, ring, self.slot_mask,
                                                   self.core_has_rows)
                c["synaptic_events"] += events
                misses += miss
            if self.plastic:      # plastic networks are lag 1 (mapping.plan.tick_and_delays)
                assert plan.lag == 1 and merged is not None
                self._deliver_plastic(merged, 0, t0)
                for stage in range(1, plan.n_stages):
                    self._deliver_plastic(self.delays.stage_packets(stage), stage, t0)
            f = clock()
            timers["update"] += b - a
            timers["record"] += b2 - b
            timers["route"] += d - b2
            timers["exchange"] += e - d
            timers["deliver"] += f - e
            n_sent = int(self.send_counts.sum())
            sent += n_sent
            sent_remote += n_sent - int(self.send_counts[0])
            received += n_recv
            ticks += 1
            self.step += k
            if self.status is not None:
                self.status[0] = self.step
            if callback is not None:
                callback(self.step)
            if progress is not None:
                progress(self.step, spikes_total)
            if live is not None and live.forever and ticks % FOREVER_CHECK == 0 and \
                    live.agreed_stop():
                end = self.step        # run_forever: every rank stops at this tick
                self.forever_done = True
            if self.stop_on_overrun and (ticks % 100 == 0 or self.step >= end):
                self._stop_if_late()
            if realtime and ticks == 1:
                # the wall clock starts at the end of the first tick: its first calls warm
                # the caches (it cost ~10 times a later tick), and nothing paces it
                pace0, start = clock(), self.step
            elif realtime:
                done_s = (self.step - start) * plan.dt / 1000.0
                phases = (b - a, b2 - b, d - b2, e - d, f - e)
                tsf = self.network.time_scale_factor
                scale = plan.dt / 1000.0 * tsf
                group_s = self.group_seconds - group_before
                slowest = None
                if len(group_s):
                    i = int(np.argmax(group_s))
                    slowest = (self.groups[i].pop.label, group_s[i])
                if self.lateness.pace(pace0, done_s, tsf, c["ticks"] + ticks - 1, t0,
                                      phases, slowest, k * scale,
                                      a > pace0 + (t0 - start) * scale + 2e-5):
                    self.counters["overruns"] += 1
        direct = sum(int(g.spikes_direct[0]) for g in self.groups
                     if getattr(g, "spikes_direct", None) is not None)
        for i, g in enumerate(self.groups):
            if getattr(g, "spikes_direct", None) is not None:
                self.group_spikes[i] += int(g.spikes_direct[0])
                g.spikes_direct[0] = 0
        c["spikes_emitted"] += int(spikes_total) + direct
        c["synaptic_events"] += direct        # one synapse per direct spike
        c["direct_input_events"] += direct
        c["unrouted_packets"] += int(unrouted_total)
        c["population_table_misses"] += misses
        c["packets_sent"] += sent
        c["packets_sent_remote"] += sent_remote
        c["packets_received"] += received
        c["ticks"] += ticks
        return clock() - wall0

    def reset(self):
        """Back to t = 0 with the network as built: every neuron's state at its initial
        values (the same draws), nothing in flight (ring buffer, delay-extension queues, a
        pending lag-2 tick), plastic weights and STDP traces as built, spike-array sources
        from their first spike.  Poisson sources and noisy currents continue their streams
        (a new trial, as on NEST).  Collective only through what follows (no communication
        here)."""
        for g in self.groups:
            if g.pop.celltype.name == "SpikeSourceArray":
                g.cursor[0] = 0
            elif g.S.size:
                g.S[...] = initial_state(g, self.network)
        self.ring[...] = 0.0
        self.pending = None
        self.delays.q_ptr[...] = 0
        if self.plastic:
            self.plastic = [PlasticProjection(pp.proj, build_synapses(
                self.network, self.plan, self.cores, [pp.proj], plastic=True))
                for pp in self.plastic]
            self._setup_history()
        self.currents.epoch += 1
        self.step = 0

    def _swap_pending(self, packets, when):
        """Lag 2: keep this tick's packets (a copy) until after the next update; return the
        tick kept before, (None, None) when there is none."""
        previous = self.pending
        self.pending = (packets.copy(), when)
        return previous if previous is not None else (None, (None, None))

    def _inbox(self, n_self, recv, rcounts):
        """This tick's packets for this rank in canonical (step, key) order: the run it
        routed to itself and the runs received from its sources, merged."""
        n = n_self + recv.size
        if n > self.inbox.size:
            self.inbox = np.empty(2 * n, np.uint64)
            self.inbox_tmp = np.empty(2 * n, np.uint64)
        self.inbox[:n_self] = self.send[:n_self]
        self.inbox[n_self:n] = recv
        if not rcounts.size:
            return self.inbox[:n]
        b = self.inbox_bounds
        b[1] = n_self
        np.cumsum(rcounts, out=b[2:])
        b[2:] += n_self
        return merge_runs(self.inbox, b, self.inbox_tmp)[:n]

    def call_ticks(self, realtime):
        """Ticks per compiled call: LOCAL_TICKS, in real time at least REALTIME_CALL_MS of
        simulated time.  The common stops (collective progress and overrun checks) are
        every this many ticks."""
        if not realtime:
            return LOCAL_TICKS
        return max(LOCAL_TICKS, int(REALTIME_CALL_MS / (self.plan.tick_steps * self.plan.dt)))

    def _update_types(self, D):
        """The numba types of the generated update's arguments (the per-tick path's and the
        compiled loop's calls alike)."""
        typeof = numba.typeof
        return tuple(typeof(a) for a in (
            *D, self.ring, self.step, self.slot_mask, 1, self.out, self.run_bounds,
            self.wtime, self.group_seconds, self.group_spikes))

    def votes(self):
        """The compiled loop's vote on stopping (spinn.kernels.agree): its ten words, its
        request and its status, kept across calls (a vote travels from one call into the
        next when a call returns early)."""
        if getattr(self, "_votes", None) is None:
            self._votes = (np.zeros(10, np.uint64), np.zeros(1, self.channel.request_dtype),
                           np.zeros(self.channel.status_words, np.int32))
        return self._votes

    def abandon_votes(self):
        """A run left with a vote in flight (an exception between its calls): its buffers
        stay alive (MPI still writes them) and the next run gets new ones, never posting
        a reduction on a request that is still active."""
        self._abandoned_votes = getattr(self, "_abandoned_votes", []) + [self._votes]
        self._votes = None

    def _ticks_args(self, D, end, rec, totals, pend, n_pend, pend_t0, pend_k, seconds,
                    pace, lates):
        """The arguments of fused.run_ticks (spinn/runtime/fused.py), in its order."""
        plan, d, x = self.plan, self.delays, self.wire
        mask = rec.rec_mask if rec is not None else np.zeros(0, bool)
        live_out = self.live.compiled_output() if self.live is not None else idle_output()
        none = np.empty(0, np.int64)
        return (*D, self.step, end, self.ticks_per_call, plan.tick_steps, self.ring,
                self.slot_mask, self.out, self.tmp, self.run_bounds, self.cores.slot,
                self.route_ptr, self.route_dst, self.send, self.send_counts,
                plan.index_bits, plan.stage_steps, d.matrices, d.keep, d.q_step, d.q_word,
                d.q_ptr, d.released, d.bounds, self.core_has_rows, rec is not None,
                self.cores.gid_lo, self.cores.base, mask,
                *(rec.tail() if rec is not None else (none, none)), totals,
                *self.channel.functions(), x["sources"], x["dests"], x["cap"], x["rbuf"],
                x["stage"], x["reqs"], x["statuses"], x["inbox"], x["inbox_tmp"],
                x["bounds"], plan.lag, pend, n_pend, pend_t0, pend_k, seconds,
                self.group_seconds, self.group_spikes, pace, lates, nap_function(),
                *self.votes(),
                *live_out,
                *(self.live.compiled_input() if self.live is not None else idle_input()))

    def _deliver_plastic(self, packets, stage, t0):
        """Deliver packets through the stage's plastic rows (after its static rows)."""
        for pp in self.plastic:
            ev, over = pp.deliver(packets, stage, t0, self.plan, self)
            self.counters["synaptic_events"] += int(ev)
            self.counters["stdp_history_overflows"] += int(over)

    def _stop_if_late(self):
        """on_overrun="stop": collective; every rank raises when any rank had a late tick."""
        from spinn.errors import SimulationError
        from spinn.runtime.everywhere import raise_everywhere

        raise_everywhere(self.comm, self.lateness.stop_message(self.step * self.plan.dt),
                         SimulationError)


class PlasticProjection:
    """The plastic synapses of one projection on this rank (one matrix per delay stage), with
    their per-row pre traces."""

    def __init__(self, proj, matrices):
        self.proj, self.matrices = proj, matrices
        self.kplus = [np.zeros(m.row_ptr.size) for m in matrices]
        self.tlast = [np.full(m.row_ptr.size, -1, np.int64) for m in matrices]
        self.rule_k = 0

    def deliver(self, packets, stage, t0, plan, sim):
        m, syn = self.matrices[stage], self.proj.synapse
        t, w = syn.timing, syn.weights
        return deliver_plastic(
            packets, packets.size, t0, stage * plan.stage_steps, plan.index_bits,
            sim.cores.slot, m.mpt_lo,
            m.mpt_hi, m.blk_post_base, m.blk_row_base, m.row_ptr, m.syn_word, m.syn_weight,
            self.kplus[stage], self.tlast[stage],
            self.proj.sign, t.tau_plus, t.tau_minus, t.A_plus, t.A_minus, w.w_min, w.w_max,
            *w.exponents, self.rule_k, plan.dt, sim.hist_row, sim.hist_t, sim.hist_k,
            sim.hist_n, sim.ring, sim.slot_mask)
