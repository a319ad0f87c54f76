"""The MappingPlan: a frozen, printable, serialisable result of mapping a network on n ranks."""

from dataclasses import dataclass, field

import msgpack
import numpy as np

from spinn.mapping.keys import allocate_keys
from spinn.mapping.partition import partition_populations
from spinn.mapping.place import estimate_load, place_cores
from spinn.mapping.routing import build_table, compress_table


@dataclass(frozen=True)
class MappingPlan:
    n_ranks: int
    dt: float
    tick_steps: int            # steps per exchange: 1 ms, or the smallest delay when shorter
    max_delay_steps: int
    n_slots: int               # ring-buffer slots (a power of two): delays ≤ n_slots direct
    stage_steps: int           # delay extension: each stage re-delivers stage_steps later
    n_stages: int              # 1 + delay-extension stages needed by the longest delay
    index_bits: int
    pop_labels: tuple
    pop_sizes: tuple
    core_pop: np.ndarray       # int64[n_cores]
    core_lo: np.ndarray        # population-relative first neuron
    core_hi: np.ndarray
    core_gid_lo: np.ndarray
    core_rank: np.ndarray
    core_key: np.ndarray       # uint32
    core_mask: np.ndarray      # uint32
    core_load: np.ndarray      # estimated ns per step (mapping.place)
    tables: tuple              # per rank: tuple of (key, mask, route tuple of ranks)
    entries_before: tuple      # per rank: entries before compression
    expected_synapses: float
    notes: tuple = field(default=())

    @property
    def n_cores(self):
        return int(self.core_pop.size)

    def local_cores(self, rank):
        return np.flatnonzero(self.core_rank == rank)

    def summary(self):
        lines = [f"mapping: {len(self.pop_labels)} populations, {sum(self.pop_sizes)} neurons, "
                 f"{self.n_cores} cores on {self.n_ranks} rank(s); ~{self.expected_synapses:,.0f} "
                 f"synapses expected; dt {self.dt:g} ms, tick {self.tick_steps} steps "
                 f"({self.tick_steps * self.dt:g} ms), ring buffer {self.n_slots} slots"
                 + (f", {self.n_stages - 1} delay-extension stage(s) of {self.stage_steps} steps"
                    if self.n_stages > 1 else "")]
        for r in range(self.n_ranks):
            cores = self.local_cores(r)
            n = int(np.sum(self.core_hi[cores] - self.core_lo[cores]))
            pops = sorted({self.pop_labels[p] for p in self.core_pop[cores]})
            lines.append(f"  rank {r}: {cores.size} cores, {n} neurons "
                         f"(load {self.core_load[cores].sum():,.0f}) [{', '.join(pops)}]; "
                         f"routing entries {self.entries_before[r]} → {len(self.tables[r])}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def to_msgpack(self):
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for k, v in d.items():
            if isinstance(v, np.ndarray):
                d[k] = v.tolist()
        d["tables"] = [[[k, m, list(route)] for k, m, route in t] for t in self.tables]
        return msgpack.packb(d)


def make_plan(network, n_ranks):
    """Partition, place, allocate keys and build compressed routing tables."""
    pops, projs = network.populations, network.projections
    cores = partition_populations([p.size for p in pops], [p.neurons_per_core for p in pops])
    n_cores = cores["pop"].size
    by_pop = [np.flatnonzero(cores["pop"] == p.index) for p in pops]

    # expected synapses core → core, and which core pairs can connect at all
    affinity = np.zeros((n_cores, n_cores))
    reach = np.zeros((n_cores, n_cores), bool)
    for proj in projs:
        pre_members = members_by_core(proj.pre, cores["lo"][by_pop[proj.pre.parent.index]])
        post_members = members_by_core(proj.post, cores["lo"][by_pop[proj.post.parent.index]])
        conn = proj.connector
        extra = {}
        if getattr(conn, "uses_positions", False):  # distance-dependent: real estimates
            extra["positions"] = lambda _p=proj: (_p.pre.positions, _p.post.positions)
        for i, pre_ids in zip(by_pop[proj.pre.parent.index], pre_members):
            for j, post_ids in zip(by_pop[proj.post.parent.index], post_members):
                if pre_ids.size and post_ids.size and \
                        conn.may_connect(pre_ids, post_ids, **extra):
                    reach[i, j] = True
                    affinity[i, j] += conn.expected(pre_ids, post_ids, proj.pre.size,
                                                    proj.post.size, **extra)
    sizes = cores["hi"] - cores["lo"]
    is_source = np.array([pops[p].celltype.is_source for p in cores["pop"]], bool)
    step_ns = np.array([pops[p].celltype.step_ns for p in cores["pop"]])
    load = estimate_load(sizes.astype(np.float64), step_ns, affinity.sum(axis=0), network.dt)
    rank = place_cores(load, is_source, affinity, n_ranks)
    index_bits, keys, masks = allocate_keys(sizes)

    dest = {c: tuple(sorted(set(rank[np.flatnonzero(reach[c])].tolist())))
            for c in range(n_cores)}
    tables, before = [], []
    for r in range(n_ranks):
        table = build_table(np.flatnonzero(rank == r), keys, masks, dest)
        before.append(len(table))
        tables.append(tuple(compress_table(table, keys)))

    tick_steps, max_delay, notes = tick_and_delays(network)
    n_slots, stage_steps, n_stages = delay_stages(tick_steps, max_delay)
    return MappingPlan(
        n_ranks=n_ranks, dt=network.dt, tick_steps=tick_steps, max_delay_steps=max_delay,
        n_slots=n_slots, stage_steps=stage_steps, n_stages=n_stages, index_bits=index_bits,
        pop_labels=tuple(p.label for p in pops), pop_sizes=tuple(p.size for p in pops),
        core_pop=cores["pop"], core_lo=cores["lo"], core_hi=cores["hi"],
        core_gid_lo=cores["gid_lo"], core_rank=rank, core_key=keys, core_mask=masks,
        core_load=load, tables=tuple(tables), entries_before=tuple(before),
        expected_synapses=float(affinity.sum()), notes=tuple(notes))


def next_pow2(n):
    return 1 << max(0, int(np.ceil(np.log2(max(n, 1)))))


def delay_stages(tick_steps, max_delay):
    """(n_slots, stage_steps, n_stages): SpiNNaker's delay extension.

    The ring buffer holds delays up to n_slots steps (at most max(16, 4 ticks), so its memory
    does not grow with long delays); a synapse with a longer delay d sits in stage
    k = ceil((d - n_slots) / stage_steps) and its spike is re-delivered k·stage_steps steps
    later with the residual delay d - k·stage_steps ∈ [tick, n_slots].  stage_steps is a
    multiple of the tick no larger than n_slots - tick + 1, so the stages tile every delay.
    """
    cap = max(16, next_pow2(4 * tick_steps))
    n_slots = min(next_pow2(max_delay + 1), cap)
    stage_steps = max(tick_steps, (n_slots - tick_steps + 1) // tick_steps * tick_steps)
    extra = max(0, int(np.ceil((max_delay - n_slots) / stage_steps)))
    return n_slots, stage_steps, 1 + extra


def members_by_core(endpoint, core_lows):
    """For each core of the endpoint's parent population: the endpoint indices in it."""
    core_of = np.searchsorted(core_lows, endpoint.parent_ids, side="right") - 1
    order = np.argsort(core_of, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(core_of, minlength=core_lows.size))])
    return [order[bounds[k]:bounds[k + 1]] for k in range(core_lows.size)]


def tick_and_delays(network):
    """(tick_steps, max_delay_steps, notes): the tick is 1 ms unless a delay is shorter."""
    one_ms = max(1, round(1.0 / network.dt))
    ranges = [p.delay_steps_range for p in network.projections]
    min_delay = min((lo for lo, _ in ranges), default=one_ms)
    max_delay = max((hi for _, hi in ranges), default=1)
    notes = []
    tick = min(one_ms, min_delay)
    if tick < one_ms:
        notes.append(f"the smallest delay is {min_delay * network.dt:g} ms: ranks exchange "
                     f"spikes every {tick} step(s) instead of every 1 ms")
    return tick, max(max_delay, 1), notes
