"""The MappingPlan: a frozen, printable, serialisable result of mapping a network on n ranks,
seen from one rank.

Every rank computes the same global part (cores, their ranks and loads, time and delay
settings) from the same description, and its own part alone: its routing table, the ranks it
sends to and receives from, and the cores whose packets it receives.  Arrays over all cores
hold a few bytes per core (README "Scale"): ``core_rank`` (int32) and ``core_load``
(float32); everything else about a core is derived from its population's first core.
"""

import hashlib
from dataclasses import dataclass, field

import msgpack
import numpy as np

from spinn.mapping.graph import core_graph
from spinn.mapping.keys import index_bits_for
from spinn.mapping.place import estimate_load, place_cores
from spinn.mapping.routing import build_table, compress_table, incoming_cores, rank_routes

SUMMARY_RANKS = 8     # ranks listed one per line in summary(); the others are summarised


@dataclass(frozen=True, eq=False)
class MappingPlan:
    n_ranks: int
    rank: int                  # the rank this plan was made for
    dt: float
    tick_steps: int            # steps per exchange: 1 ms, or the smallest delay when shorter
    max_delay_steps: int
    n_slots: int               # ring-buffer slots (a power of two): delays ≤ n_slots direct
    stage_steps: int           # delay extension: each stage re-delivers stage_steps later
    n_stages: int              # 1 + delay-extension stages needed by the longest delay
    lag: int                   # ticks from a tick's end to its delivery: 2 when the smallest
                               # delay spans two ticks (the exchange overlaps the next update)
    index_bits: int
    pop_labels: tuple
    pop_sizes: tuple
    pop_npc: tuple             # neurons per core of each population
    pop_first_core: np.ndarray  # int64[n_pops + 1]: global id of each population's first core
    core_rank: np.ndarray      # int32[n_cores]
    core_load: np.ndarray      # float32[n_cores], estimated ns per step (mapping.place)
    table: tuple               # this rank's routing table: (key, mask, route tuple of ranks)
    entries_before: int        # this rank's entries before compression
    dests: tuple               # ranks (other than this one) this rank sends packets to
    sources: tuple             # ranks (other than this one) this rank receives packets from
    incoming: np.ndarray       # int64[]: sorted ids of the cores whose packets arrive here
    expected_synapses: float   # whole network
    expected_local_synapses: float  # onto this rank's cores
    notes: tuple = field(default=())

    # ---- cores ----------------------------------------------------------------------
    @property
    def n_cores(self):
        return int(self.core_rank.size)

    def local_cores(self, rank=None):
        rank = self.rank if rank is None else rank
        if rank == self.rank:
            if "_local" not in self.__dict__:
                object.__setattr__(self, "_local", np.flatnonzero(self.core_rank == rank))
            return self.__dict__["_local"]
        return np.flatnonzero(self.core_rank == rank)

    def population_of(self, cores):
        """int64 population index of each core id."""
        return np.searchsorted(self.pop_first_core, cores, side="right") - 1

    def core_bounds(self, cores):
        """(lo, hi) int64: population-relative neuron range of each core id."""
        cores = np.asarray(cores, np.int64)
        pop = self.population_of(cores)
        npc = np.asarray(self.pop_npc, np.int64)[pop]
        lo = (cores - self.pop_first_core[pop]) * npc
        return lo, np.minimum(lo + npc, np.asarray(self.pop_sizes, np.int64)[pop])

    def core_gid_lo(self, cores):
        """int64: global id of each core's first neuron."""
        pop_gid = np.concatenate([[0], np.cumsum(self.pop_sizes)]).astype(np.int64)
        return pop_gid[self.population_of(cores)] + self.core_bounds(cores)[0]

    def core_key(self, cores):
        return (np.asarray(cores, np.uint64) << np.uint64(self.index_bits)).astype(np.uint32)

    @property
    def core_mask(self):
        """The mask every core's key shares: ones over the core bits."""
        return np.uint32((0xFFFFFFFF << self.index_bits) & 0xFFFFFFFF)

    def pop_cores(self, pop):
        """int64 global ids of a population's cores."""
        return np.arange(self.pop_first_core[pop], self.pop_first_core[pop + 1],
                         dtype=np.int64)

    # ---- printing, comparing, saving --------------------------------------------------
    def rank_totals(self):
        """(cores, neurons, load) int64/int64/float64 per rank, from the global part."""
        lo, hi = self.core_bounds(np.arange(self.n_cores))
        cores = np.bincount(self.core_rank, minlength=self.n_ranks)
        neurons = np.bincount(self.core_rank, weights=hi - lo, minlength=self.n_ranks)
        load = np.bincount(self.core_rank, weights=self.core_load, minlength=self.n_ranks)
        return cores, neurons.astype(np.int64), load

    def summary(self):
        lines = [f"mapping: {len(self.pop_labels)} populations, {sum(self.pop_sizes)} neurons, "
                 f"{self.n_cores} cores on {self.n_ranks} rank(s); ~{self.expected_synapses:,.0f} "
                 f"synapses expected; dt {self.dt:g} ms, tick {self.tick_steps} steps "
                 f"({self.tick_steps * self.dt:g} ms), ring buffer {self.n_slots} slots"
                 + (f", {self.n_stages - 1} delay-extension stage(s) of {self.stage_steps} steps"
                    if self.n_stages > 1 else "")]
        cores, neurons, load = self.rank_totals()
        shown = range(min(self.n_ranks, SUMMARY_RANKS))
        pop_of = self.population_of(np.arange(self.n_cores))
        for r in shown:
            mine = self.core_rank == r
            pops = sorted({self.pop_labels[p] for p in np.unique(pop_of[mine])})
            lines.append(f"  rank {r}: {cores[r]} cores, {neurons[r]} neurons "
                         f"(load {load[r]:,.0f}) [{', '.join(pops)}]")
        if self.n_ranks > SUMMARY_RANKS:
            lines.append(f"  ... ranks {SUMMARY_RANKS}..{self.n_ranks - 1}: {cores.min()}–"
                         f"{cores.max()} cores, {neurons.min()}–{neurons.max()} neurons, load "
                         f"{load.min():,.0f}–{load.max():,.0f} per rank")
        lines.append(f"  rank {self.rank}'s routing: entries {self.entries_before} → "
                     f"{len(self.table)}; sends to {len(self.dests)} rank(s), receives from "
                     f"{len(self.sources)}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def global_part(self):
        """What every rank must agree on, as plain data."""
        return {k: getattr(self, k) for k in (
            "n_ranks", "dt", "tick_steps", "max_delay_steps", "n_slots", "stage_steps",
            "n_stages", "lag", "index_bits", "pop_labels", "pop_sizes", "pop_npc", "pop_first_core",
            "core_rank", "core_load", "expected_synapses")}

    def digest(self):
        """sha1 hex of the global part: equal on every rank of a consistent job."""
        h = hashlib.sha1()
        for k, v in self.global_part().items():
            h.update(k.encode())
            h.update(np.ascontiguousarray(v).tobytes() if isinstance(v, np.ndarray)
                     else repr(v).encode())
        return h.hexdigest()

    def to_msgpack(self):
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for k, v in d.items():
            if isinstance(v, np.ndarray):
                d[k] = v.tolist()
        d["table"] = [[k, m, list(route)] for k, m, route in self.table]
        return msgpack.packb(d)


def make_plan(network, n_ranks, rank=0):
    """Partition, place, allocate keys and build rank ``rank``'s compressed routing table."""
    pops = network.populations
    npc = np.array([p.neurons_per_core for p in pops], np.int64)
    pop_sizes = np.array([p.size for p in pops], np.int64)
    first_core = np.concatenate([[0], np.cumsum(-(-pop_sizes // npc))]).astype(np.int64)
    n_cores = int(first_core[-1])
    # the key space first: a network too large for 32-bit keys is refused before any array
    # over its cores is allocated
    index_bits_for(n_cores, np.minimum(npc, pop_sizes).max() if n_cores else 1)
    sizes = core_sizes(pop_sizes, npc, first_core)
    graph = core_graph(network)
    incoming_syn = np.zeros(n_cores)
    for e in graph:
        q = first_core[e.post_pop]
        incoming_syn[q:first_core[e.post_pop + 1]] += e.in_per_post(
            first_core[e.post_pop + 1] - q)
    per_core = np.diff(first_core)
    is_source = np.repeat([p.celltype.is_source for p in pops], per_core).astype(bool)
    step_ns = np.repeat([float(p.celltype.step_ns) for p in pops], per_core)
    load = estimate_load(sizes.astype(np.float64), step_ns, incoming_syn, network.dt)
    core_rank = place_cores(load, is_source, graph, first_core, n_ranks)
    index_bits = index_bits_for(n_cores, np.minimum(npc, pop_sizes).max() if n_cores else 1)
    del sizes, step_ns, is_source

    local = np.flatnonzero(core_rank == rank)
    routes = rank_routes(local, graph, first_core, core_rank)
    keys = (local.astype(np.uint64) << np.uint64(index_bits)).astype(np.uint32)
    mask = np.uint32((0xFFFFFFFF << index_bits) & 0xFFFFFFFF)
    table = build_table(local, keys, np.full(local.size, mask), routes)
    compressed = tuple(compress_table(table, keys))
    incoming = incoming_cores(local, graph, first_core)
    dests = tuple(sorted({r for route in routes.values() for r in route} - {rank}))
    sources = tuple(int(r) for r in np.unique(core_rank[incoming]) if r != rank)

    tick_steps, max_delay, lag, notes = tick_and_delays(network)
    n_slots, stage_steps, n_stages = delay_stages(tick_steps, max_delay, lag)
    return MappingPlan(
        n_ranks=n_ranks, rank=rank, dt=network.dt, tick_steps=tick_steps,
        max_delay_steps=max_delay, n_slots=n_slots, stage_steps=stage_steps, n_stages=n_stages,
        lag=lag,
        index_bits=index_bits, pop_labels=tuple(p.label for p in pops),
        pop_sizes=tuple(p.size for p in pops), pop_npc=tuple(p.neurons_per_core for p in pops),
        pop_first_core=first_core, core_rank=core_rank, core_load=load.astype(np.float32),
        table=compressed, entries_before=len(table), dests=dests, sources=sources,
        incoming=incoming, expected_synapses=float(sum(e.total for e in graph)),
        expected_local_synapses=float(incoming_syn[local].sum()), notes=tuple(notes))


def core_sizes(pop_sizes, npc, first_core):
    """int64[n_cores]: neurons in each core (every core full but a population's last)."""
    sizes = np.repeat(npc, np.diff(first_core))
    last = first_core[1:][pop_sizes > 0] - 1
    sizes[last] = pop_sizes[pop_sizes > 0] - npc[pop_sizes > 0] * (np.diff(first_core)[
        pop_sizes > 0] - 1)
    return sizes


def next_pow2(n):
    return 1 << max(0, int(np.ceil(np.log2(max(n, 1)))))


def delay_stages(tick_steps, max_delay, lag=1):
    """(n_slots, stage_steps, n_stages): SpiNNaker's delay extension.

    The ring buffer holds delays up to n_slots steps (at most max(16, 4 ticks), so its memory
    does not grow with long delays); a synapse with a longer delay d sits in stage
    k = ceil((d - n_slots) / stage_steps) and its spike is re-delivered k·stage_steps steps
    later with the residual delay d - k·stage_steps ∈ [lag·tick, n_slots] (a packet is
    delivered lag ticks after the tick it belongs to, so nothing shorter may remain).
    stage_steps is a multiple of the tick no larger than n_slots - lag·tick + 1, so the
    stages tile every delay.
    """
    cap = max(16, next_pow2(4 * tick_steps))
    # at least a tick ahead: current sources fill a whole tick's slots before its update
    # (a network without projections has max_delay 1)
    n_slots = min(next_pow2(max(max_delay, tick_steps) + 1), cap)
    stage_steps = max(tick_steps,
                      (n_slots - lag * tick_steps + 1) // tick_steps * tick_steps)
    extra = max(0, int(np.ceil((max_delay - n_slots) / stage_steps)))
    return n_slots, stage_steps, 1 + extra


def tick_and_delays(network):
    """(tick_steps, max_delay_steps, lag, notes): the tick is 1 ms unless a delay is
    shorter; lag 2 when the smallest delay spans two ticks and nothing is plastic (STDP
    reads the post-spike history as of the delivery), so that the exchange of tick t can
    travel while tick t + 1 is updated.  It depends on the network only, never on the rank
    count: the order of every sum is the same on any number of ranks."""
    one_ms = max(1, round(1.0 / network.dt))
    ranges = [p.delay_steps_range for p in network.projections]
    min_delay = min((lo for lo, _ in ranges), default=one_ms)
    max_delay = max((hi for _, hi in ranges), default=1)
    notes = []
    tick = min(one_ms, min_delay)
    if tick < one_ms:
        notes.append(f"the smallest delay is {min_delay * network.dt:g} ms: ranks exchange "
                     f"spikes every {tick} step(s) instead of every 1 ms")
    lag = 2 if ranges and min_delay >= 2 * tick and not any(
        p.plastic for p in network.projections) else 1
    if lag == 2:
        notes.append("the smallest delay spans two ticks: each tick's exchange overlaps the "
                     "next tick's update")
    return tick, max(max_delay, 1), lag, notes
