"""Current sources in the engine: each tick, before the neurons update, every source adds
its amplitude for each step of the tick into the ring buffer's current channel
(ring[slot, CURRENT, neuron]), which the neuron kernels add to i_offset for that step and
clear.  The channel exists only when the network has current sources.

Noise values are drawn from a counter-based hash of (seed, source, interval, neuron gid), so
each neuron's noise is the same on any rank count and costs nothing for neurons elsewhere.
"""

import numpy as np

from spinn.model.electrodes import NoisyCurrentSource

CURRENT = 2                      # the ring's current channel (after excitatory, inhibitory)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x):
    """splitmix64's finaliser, elementwise on uint64 arrays."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        return x ^ (x >> np.uint64(31))


def keyed_normals(seed, source, interval, gid, epoch=0):
    """Standard normal values, one per (interval, gid) pair (broadcast), from a hash; epoch:
    the number of resets before (a reset run draws new noise)."""
    with np.errstate(over="ignore"):
        base = _mix(np.uint64(seed) * _GOLDEN + np.uint64(source + 1)) ^ \
            _mix(np.uint64(epoch) * _M1 + _GOLDEN)
        key = _mix(base ^ (np.asarray(interval, np.uint64) * _GOLDEN)) ^ \
            (np.asarray(gid, np.uint64) + np.uint64(1)) * _M2
        a, b = _mix(key), _mix(key ^ _GOLDEN)
    u1 = ((a >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0 ** 53
    u2 = (b >> np.uint64(11)).astype(np.float64) / 2.0 ** 53
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


class Currents:
    """The current sources' local targets on this rank, and their injection per tick."""

    def __init__(self, network, groups):
        self.network = network
        self.epoch = 0             # resets so far (spinn.simulation.Simulation.reset)
        self.sources = []          # (source, ring index int64[m], gid int64[m])
        for src in network.current_sources:
            lids, gids = [], []
            for pop, idx in src.targets:
                for g in groups:
                    if g.pop is not pop:
                        continue
                    if idx is None:          # the whole population: all its local neurons
                        pos = np.arange(g.n)
                    else:
                        _, pos, _ = np.intersect1d(g.index, idx, return_indices=True)
                    lids.append(g.base + pos)
                    gids.append(pop.gid_lo + g.index[pos])
            if lids:
                lid, gid = np.concatenate(lids), np.concatenate(gids)
                if lid.size:
                    self.sources.append((src, lid.astype(np.int64), gid.astype(np.int64)))

    def inject(self, ring, t0, k, slot_mask):
        """Add every source's amplitudes for steps t0 .. t0 + k - 1 into the ring."""
        dt, seed = self.network.dt, self.network.seed
        slots = (t0 + np.arange(k)) & slot_mask
        for src, lid, gid in self.sources:
            if isinstance(src, NoisyCurrentSource):
                steps = t0 + np.arange(k)
                _, on = src._window(t0, k, dt)
                if not on.any():
                    continue
                interval = steps // src.every(dt)
                z = keyed_normals(seed, src.index, interval[:, None], gid[None, :], self.epoch)
                amp = np.where(on[:, None], src.mean + src.stdev * z, 0.0)
                np.add.at(ring, (slots[:, None], CURRENT, lid[None, :]), amp)
            else:
                amp = src.amplitudes(t0, k, dt)
                if not amp.any():
                    continue
                np.add.at(ring, (slots[:, None], CURRENT, lid[None, :]),
                          np.broadcast_to(amp[:, None], (k, lid.size)))
