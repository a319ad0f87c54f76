"""Reading synapses back: Projection.get("weight" | "delay") and Projection.save(...).

Static synapses are regenerated from their streams (deterministic, so exactly what the rank
built, with the float32 weight it stores); plastic synapses are decoded from their rows, with
their current weights.  Values come back in PyNN units and signs (inhibitory current weights negative; delays in ms) and
endpoint coordinates (population or view indices).
"""

import numpy as np

from spinn.runtime.build import generate_core_synapses


class SynapseReader:
    def __init__(self, state):
        self.net = state.network
        self.state = state

    def local(self, proj):
        """(pre int64[n], post int64[n], weight float64[n], delay_ms float64[n]) on this rank."""
        sim, plan = self.state.engine, self.state.plan
        pp = next((p for p in sim.plastic if p.proj is proj), None)
        if pp is not None:
            parts = [decode_matrix(m, sim.cores, sim.lid_gid, stage * plan.stage_steps)
                     for stage, m in enumerate(pp.matrices)]
            pre_gid, post_gid, w, d = (np.concatenate(x) for x in zip(*parts))
            w = proj.sign * w                    # plastic rows hold magnitudes
        else:
            parts = []
            local = plan.local_cores()
            caches = {}
            for core, lo in zip(local, plan.core_bounds(local)[0]):
                if plan.population_of(core) != proj.post.parent.index:
                    continue
                (g, idx, w, d, _), _ = generate_core_synapses(
                    self.net, plan, int(core), caches, [proj], signed=True)
                post_gid = proj.post.parent.gid_lo + lo + idx
                parts.append((g, post_gid, w.astype(np.float32).astype(np.float64), d))
            if parts:
                pre_gid, post_gid, w, d = (np.concatenate(x) for x in zip(*parts))
            else:
                pre_gid = post_gid = d = np.empty(0, np.int64)
                w = np.empty(0)
        pre = _to_endpoint(proj.pre, pre_gid)
        post = _to_endpoint(proj.post, post_gid)
        return pre, post, w, d * plan.dt

    def get(self, proj, attribute, format="list", gather=True, multiple_synapses="sum"):
        if attribute not in ("weight", "delay"):
            raise KeyError(f"{proj}: get({attribute!r}): use 'weight' or 'delay'")
        pre, post, w, d = self.local(proj)
        value = w if attribute == "weight" else d
        if gather:
            comm = self.state.comm
            pre, post, value = comm.allgatherv(pre), comm.allgatherv(post), \
                comm.allgatherv(value)
        order = np.lexsort((post, pre))
        pre, post, value = pre[order], post[order], value[order]
        if format == "list":
            return list(zip(pre.tolist(), post.tolist(), value.tolist()))
        if format == "array":
            out = np.full((proj.pre.size, proj.post.size), np.nan)
            if multiple_synapses == "sum" and attribute == "weight":
                out[pre, post] = 0.0        # multapses: their weights add up
                np.add.at(out, (pre, post), value)
            else:
                out[pre, post] = value      # the last synapse of a multapse
            return out
        raise ValueError(f"{proj}: format {format!r}: use 'list' or 'array'")


def decode_matrix(mat, cores, lid_gid, stage_shift=0):
    """(pre gid, post gid, weight, full delay steps) of every synapse in a SynapticMatrix of
    the delay stage whose residual delays are shifted by stage_shift.  cores: the rank's
    known cores (spinn.runtime.build.RankCores)."""
    n_rows_blk = np.diff(np.append(mat.blk_row_base, mat.row_ptr.size - 1))
    blk_slot = np.repeat(np.arange(cores.n_known), mat.mpt_hi - mat.mpt_lo)
    pre, post, delay = [], [], []
    for b in range(mat.blk_row_base.size):
        ptr = mat.row_ptr[mat.blk_row_base[b]: mat.blk_row_base[b] + n_rows_blk[b] + 1]
        counts = np.diff(ptr)
        words = mat.syn_word[ptr[0]: ptr[-1]]
        pre.append(cores.gid_lo[blk_slot[b]] + np.repeat(np.arange(counts.size), counts))
        post.append(lid_gid[mat.blk_post_base[b] + (words & np.uint32(0xFFFF)).astype(np.int64)])
        delay.append((words >> np.uint32(18)).astype(np.int64) + stage_shift)
    if not pre:
        e = np.empty(0, np.int64)
        return e, e, np.empty(0), e
    return (np.concatenate(pre), np.concatenate(post),
            np.asarray(mat.syn_weight, np.float64).copy(), np.concatenate(delay))


def _to_endpoint(endpoint, gid):
    """Endpoint indices of the neurons with these gids."""
    inverse = np.full(endpoint.parent.size, -1, np.int64)
    inverse[endpoint.parent_ids] = np.arange(endpoint.size)
    return inverse[gid - endpoint.parent.gid_lo]
