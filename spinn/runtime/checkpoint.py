"""Checkpoints: the whole future of a run at a tick boundary, per core, so that it restores
bit-identically onto any number of ranks (issue 13; ../shared/DESIGN.md, "checkpoint").

A checkpoint is a directory:

    manifest.msgpack     format, step, the network's description (restore names the first
                         difference from the network it is asked to continue), the mapping
                         facts that must agree (dt, tick, ring slots, lag, stages), the core →
                         rank map of the job that wrote it (int32 per core) and the total
                         bytes; wrapped as {"body", "sha256"}
    rank-00000.h5 …      one HDF5 file per rank of the job that wrote it (h5py; no pickle)
    rank-00000.h5.sha256 its size and SHA-256 (msgpack as hex), read by the ranks that
                         restore from it: nothing in a restore grows with the rank count of
                         either job but the 4-byte-per-core map

A rank file holds what the rank's cores carry, keyed by core or by neuron, never by rank:

    pop<p>/cores, bounds     the population's cores on that rank and their column ranges
    pop<p>/S                 neuron state (refractory counters included), one column a neuron
    pop<p>/ring              ring-buffer slots of its neurons (absolute step & mask)
    pop<p>/rng               each core's random stream (Poisson sources)
    pop<p>/rate_lambda, …    a live-controlled Poisson population's rates as a client last
                             set them (λ and e^-λ per source, as its kernel reads them)
    pop<p>/hist_*            post-spike history of plastic targets (hist_n −1: none)
    plastic<j>/s<st>/…       plastic synapses of projection j, stage st, in a canonical order
                             (post core, pre gid, post gid, generation order): weights; and
                             each row's pre trace by (pre gid): kplus, tlast
    queue<q>/step, word      delay-extension queue q (release step, key|count)
    pending                  a lag-2 tick not yet delivered (packets, attrs t0, k)
    spool/…                  what the rank recorded so far (spikes; state samples)

Restoring, a rank reads the files of the old ranks that held its cores (from the manifest's
core map), takes the per-core and per-neuron parts of its own cores, the plastic synapses and
traces of its post cores (the same synapses: the build regenerates them per core; the
canonical order is checked), and the packets in flight: the union of the old files' queue
and pending packets, kept where its own cores have rows for them, in canonical order (every
packet a new rank needs was held by the old rank of one of its post cores).  Spike-array
sources resume at the first event not sent; noisy currents are keyed by step (nothing to
keep but the reset epoch).

Files are written into ``<path>.tmp-<job>`` and renamed onto ``path`` when every rank is done:
a checkpoint killed half-way leaves the previous one whole.
"""

import hashlib
import os
import shutil

import msgpack
import numpy as np

from spinn.errors import ConfigurationError

FORMAT = 1
MANIFEST = "manifest.msgpack"
INDEX_MASK = 0xFFFF


class CheckpointError(ConfigurationError):
    """A checkpoint that cannot be used: missing, truncated, corrupted, foreign, or of
    another network; raised identically on every rank."""


CHECKSUM = ".sha256"    # beside each rank file: msgpack {name, bytes, sha256}, as hex


def rank_file(rank):
    return f"rank-{rank:05d}.h5"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


# ---- writing -----------------------------------------------------------------------------

def write_rank(engine, spool, directory):
    """This rank's file in ``directory``; returns {"name", "bytes", "sha256"}."""
    import h5py

    path = os.path.join(directory, rank_file(engine.plan.rank))
    with h5py.File(path, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["rank"] = engine.plan.rank
        f.attrs["step"] = engine.step
        f.attrs["epoch"] = engine.currents.epoch
        for g in engine.groups:
            _write_group(f.create_group(f"pop{g.pop.index}"), engine, g)
        for pp in engine.plastic:
            for st, m in enumerate(pp.matrices):
                _write_plastic(f.create_group(f"plastic{pp.proj.index}/s{st}"), engine, pp,
                               st, m)
        d = engine.delays
        for q in range(d.q_ptr.shape[0]):
            steps, words = queue_entries(d, q)
            f[f"queue{q}/step"], f[f"queue{q}/word"] = steps, words
        if engine.pending is not None:
            packets, (t0, k) = engine.pending
            f["pending"] = np.asarray(packets, np.uint64)
            f["pending"].attrs["t0"], f["pending"].attrs["k"] = int(t0), int(k)
        _write_spool(f.create_group("spool"), engine, spool)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    entry = {"name": os.path.basename(path), "bytes": os.path.getsize(path),
             "sha256": sha256(path)}
    # its own checksum beside it: a restoring rank reads the entries of the files it
    # opens only, never a list over every rank of the job that wrote the checkpoint
    with open(path + CHECKSUM, "w") as f:
        f.write(msgpack.packb(entry).hex() + "\n")
        f.flush()
        os.fsync(f.fileno())
    return entry


def _write_group(G, engine, g):
    G["cores"], G["bounds"] = g.cores.astype(np.int64), g.core_bounds
    G["S"] = g.S
    if getattr(g, "rng_state", None) is not None:
        G["rng"] = g.rng_state
    if getattr(g, "live_rates", False):      # spinn.live._controllable
        G["rate_lambda"], G["rate_exp"] = g.C[0], g.C[1]
    if not g.pop.celltype.is_source:
        G["ring"] = engine.ring[:, :, g.base:g.base + g.n]
    rows = engine.hist_row[g.base:g.base + g.n]
    if (rows >= 0).any():
        have = rows >= 0
        n = np.full(g.n, -1, np.int64)
        n[have] = engine.hist_n[rows[have]]
        G["hist_n"] = n
        t = np.zeros((g.n,) + engine.hist_t.shape[1:], np.int64)
        k = np.zeros((g.n,) + engine.hist_k.shape[1:])
        t[have], k[have] = engine.hist_t[rows[have]], engine.hist_k[rows[have]]
        G["hist_t"], G["hist_k"] = t, k


def canonical_synapses(engine, m):
    """(order, post_core, pre_gid, post_gid) of a matrix's synapses: ``order`` sorts them by
    (post core, pre gid, post gid), stably (generation order among repeats) — the same
    sequence for a post core whichever rank holds it."""
    cores = engine.cores
    n_rows = m.row_ptr.size - 1
    n_syn = int(m.row_ptr[-1]) if m.row_ptr.size else 0
    blk_k = np.zeros(m.blk_row_base.size, np.int64)
    for k in np.flatnonzero(m.mpt_hi > m.mpt_lo):
        blk_k[m.mpt_lo[k]:m.mpt_hi[k]] = k
    rows = np.arange(n_rows)
    row_blk = np.searchsorted(m.blk_row_base, rows, side="right") - 1
    row_pre = cores.gid_lo[blk_k[row_blk]] + (rows - m.blk_row_base[row_blk]) \
        if n_rows else np.empty(0, np.int64)
    per_row = np.diff(m.row_ptr.astype(np.int64))
    syn_row = np.repeat(rows, per_row)
    post_lid = m.blk_post_base[row_blk[syn_row]] + (m.syn_word[:n_syn] & INDEX_MASK)
    post_gid = engine.lid_gid[post_lid]
    # the local core of each post neuron: cores.local is in rank-local index order
    bases = cores.base[cores.slot[cores.local]]
    post_core = cores.local[np.searchsorted(bases, post_lid, side="right") - 1]
    pre_gid = row_pre[syn_row]
    order = np.lexsort((post_gid, pre_gid, post_core))
    return order, post_core[order], pre_gid[order], post_gid[order], row_pre


def segment_checks(post_core, pre_gid, post_gid):
    """(cores, counts, checks): the post cores in order, their synapse counts, and a
    checksum of each core's (pre, post) sequence (order-sensitive, uint64)."""
    cores, first, counts = np.unique(post_core, return_index=True, return_counts=True)
    if not cores.size:
        return cores, counts, np.empty(0, np.uint64)
    pos = np.arange(post_core.size) - np.repeat(first, counts)
    with np.errstate(over="ignore"):
        x = (pre_gid.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
             ^ post_gid.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9)) \
            + pos.astype(np.uint64) * np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(29)
        checks = np.add.reduceat(x, first).astype(np.uint64)
    return cores, counts, checks


def _write_plastic(G, engine, pp, st, m):
    """Weights in canonical order (8 bytes a synapse), with each post core's count and
    the checksum of its (pre, post) sequence, which the restore compares with its build."""
    order, post_core, pre_gid, post_gid, row_pre = canonical_synapses(engine, m)
    G["cores"], G["counts"], G["checks"] = segment_checks(post_core, pre_gid, post_gid)
    G["weight"] = m.syn_weight[order]
    pre, first = np.unique(row_pre, return_index=True)
    G["row_pre"], G["kplus"], G["tlast"] = pre, pp.kplus[st][first], pp.tlast[st][first]


def queue_entries(d, q):
    """(release steps, words) held in delay-extension queue q, oldest first."""
    cap = d.q_step.shape[1]
    live = np.arange(d.q_ptr[q, 0], d.q_ptr[q, 1]) & (cap - 1)
    return d.q_step[q, live].copy(), d.q_word[q, live].copy()


def _write_spool(G, engine, spool):
    for pop in engine.network.populations:
        if "spikes" in pop.recording:
            # copied chunk by chunk: memory stays one chunk, whatever was recorded
            n = spool.spike_count(pop.index)
            step = G.create_dataset(f"spikes{pop.index}/step", shape=(n,), dtype=np.int64)
            ids = G.create_dataset(f"spikes{pop.index}/id", shape=(n,), dtype=np.int64)
            for at, rec in spool.spike_chunks(pop.index):
                step[at:at + rec.size], ids[at:at + rec.size] = rec["step"], rec["id"]
        for var in pop.recording:
            if var == "spikes":
                continue
            part = spool.read_samples(pop.index, var)
            if part is not None:
                ids, steps, values = part
                S = G.create_group(f"state{pop.index}/{var}")
                S["ids"], S["steps"], S["values"] = ids, steps, values


def write_manifest(directory, body):
    """manifest.msgpack: {"body": msgpack(body), "sha256": of body}, fsynced."""
    packed = msgpack.packb(body, use_bin_type=True)
    path = os.path.join(directory, MANIFEST)
    with open(path, "wb") as f:
        f.write(msgpack.packb({"body": packed, "sha256": hashlib.sha256(packed).hexdigest()},
                              use_bin_type=True))
        f.flush()
        os.fsync(f.fileno())


def publish(tmp, path, job):
    """Rename the finished ``tmp`` onto ``path``; a previous checkpoint there is moved aside
    first and removed after, so one complete checkpoint exists at every moment."""
    old = None
    if os.path.exists(path):
        old = f"{path}.old-{job}"
        os.rename(path, old)
    os.rename(tmp, path)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


LATEST = "latest"


def write_latest(directory, path, writer):
    """directory/latest names the newest checkpoint (written atomically by ``writer``)."""
    if not writer:
        return
    tmp = os.path.join(directory, f".{LATEST}.tmp-{os.getpid()}")
    with open(tmp, "w") as f:
        f.write(os.path.basename(path) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, os.path.join(directory, LATEST))


def latest(directory):
    """The newest complete checkpoint in ``directory`` (its ``latest`` file, else the last
    t…ms directory with a manifest), or None."""
    try:
        with open(os.path.join(directory, LATEST)) as f:
            name = f.read().strip()
        if name and os.path.isfile(os.path.join(directory, name, MANIFEST)):
            return os.path.join(directory, name)
    except OSError:
        pass
    try:
        names = sorted(n for n in os.listdir(directory) if n.startswith("t") and
                       n.endswith("ms") and os.path.isfile(os.path.join(directory, n, MANIFEST)))
    except OSError:
        return None
    return os.path.join(directory, names[-1]) if names else None


# ---- reading -----------------------------------------------------------------------------

def read_manifest(path):
    """The manifest's body, or CheckpointError saying what is wrong with the directory."""
    where = f"restore: checkpoint {os.fspath(path)!r}"
    mpath = os.path.join(path, MANIFEST)
    if not os.path.isdir(path):
        aside = sorted(p for p in _siblings(path) if ".old-" in p)
        hint = f"; a complete earlier checkpoint was left at {aside[-1]!r} by an " \
               f"interrupted replacement — restore from it" if aside else ""
        raise CheckpointError(f"{where} does not exist{hint}")
    if not os.path.isfile(mpath):
        raise CheckpointError(f"{where} has no {MANIFEST}: not a spinn checkpoint, or one "
                              f"whose writing did not finish")
    try:
        with open(mpath, "rb") as f:
            outer = msgpack.unpackb(f.read(), raw=False)
        body_bytes = outer["body"]
        if hashlib.sha256(body_bytes).hexdigest() != outer["sha256"]:
            raise ValueError("checksum mismatch")
        body = msgpack.unpackb(body_bytes, raw=False, strict_map_key=False)
    except Exception as exc:      # truncated, bit-flipped, not msgpack …
        raise CheckpointError(f"{where}: {MANIFEST} is damaged ({type(exc).__name__}: "
                              f"{exc}); use another checkpoint") from None
    if not isinstance(body, dict) or body.get("kind") != "spinn-checkpoint":
        raise CheckpointError(f"{where}: {MANIFEST} is not a spinn checkpoint's")
    if body.get("format") != FORMAT:
        raise CheckpointError(f"{where} has format {body.get('format')}; this spinn reads "
                              f"format {FORMAT}")
    return body


def _siblings(path):
    parent, name = os.path.split(os.path.abspath(path))
    try:
        return [os.path.join(parent, p) for p in os.listdir(parent) if p.startswith(name)]
    except OSError:
        return []


def check_mapping(body, plan, where):
    """The facts of the mapping that the saved state depends on must be the same."""
    for key in ("dt", "tick_steps", "n_slots", "stage_steps", "n_stages", "lag",
                "index_bits", "n_cores"):
        mine = getattr(plan, key) if key != "n_cores" else plan.n_cores
        if body["mapping"][key] != mine:
            raise CheckpointError(
                f"{where}: the mapping differs: {key} {body['mapping'][key]} in the "
                f"checkpoint, {mine} now (another spinn version?)")


def restore_rank(engine, spool, path, body):
    """Load this rank's part of the checkpoint at ``path`` into a freshly built engine."""
    import h5py

    where = f"restore: checkpoint {os.fspath(path)!r}"
    core_rank = np.frombuffer(body["core_rank"], np.int32)
    local = engine.plan.local_cores()
    old_ranks = np.unique(core_rank[local]) if local.size else np.empty(0, np.int32)
    files = {}
    for r in old_ranks:
        name = rank_file(int(r))
        fpath = os.path.join(path, name)
        if not os.path.isfile(fpath):
            raise CheckpointError(f"{where}: {name} is missing")
        try:
            with open(fpath + CHECKSUM) as f:
                entry = msgpack.unpackb(bytes.fromhex(f.read().strip()), raw=False)
            entry["bytes"], entry["sha256"]
            if entry["name"] != name:       # a sidecar damaged in its name, or misplaced
                raise ValueError(entry["name"])
        except (OSError, ValueError, TypeError, KeyError, msgpack.UnpackException):
            raise CheckpointError(f"{where}: {name}{CHECKSUM} is missing or damaged; use "
                                  f"another checkpoint") from None
        if os.path.getsize(fpath) != entry["bytes"] or sha256(fpath) != entry["sha256"]:
            raise CheckpointError(
                f"{where}: {entry['name']} is damaged (size or SHA-256 differs from the "
                f"manifest's); use another checkpoint")
        files[int(r)] = fpath
    opened = {r: h5py.File(p, "r") for r, p in files.items()}
    try:
        _restore_groups(engine, opened, core_rank)
        _restore_plastic(engine, opened, where)
        _restore_in_flight(engine, opened)
        _restore_spool(engine, spool, opened, core_rank)
    finally:
        for f in opened.values():
            f.close()
    engine.step = int(body["step"])
    engine.currents.epoch = int(body["epoch"])
    for g in engine.groups:
        if g.pop.celltype.name == "SpikeSourceArray":
            g.cursor[0] = int(np.searchsorted(g.ev_step, engine.step, side="left"))


def _restore_groups(engine, opened, core_rank):
    for g in engine.groups:
        cache = {}
        for k, c in enumerate(g.cores):
            r = int(core_rank[c])
            if r not in cache:
                G = opened[r][f"pop{g.pop.index}"]
                cache[r] = {name: G[name][...] for name in G}
            old = cache[r]
            i = int(np.searchsorted(old["cores"], c))
            lo, hi = int(old["bounds"][i]), int(old["bounds"][i + 1])
            a, b = int(g.core_bounds[k]), int(g.core_bounds[k + 1])
            g.S[:, a:b] = old["S"][:, lo:hi]
            if "rng" in old:
                g.rng_state[k] = old["rng"][i]
            if "rate_lambda" in old:    # live rate control is in the description: the
                # restoring job's population is controlled too (spinn.live._controllable)
                g.C[0][a:b] = old["rate_lambda"][lo:hi]
                g.C[1][a:b] = old["rate_exp"][lo:hi]
            if "ring" in old:
                engine.ring[:, :, g.base + a:g.base + b] = old["ring"][:, :, lo:hi]
            rows = engine.hist_row[g.base + a:g.base + b]
            if "hist_n" in old:
                have = rows >= 0
                engine.hist_n[rows[have]] = old["hist_n"][lo:hi][have]
                engine.hist_t[rows[have]] = old["hist_t"][lo:hi][have]
                engine.hist_k[rows[have]] = old["hist_k"][lo:hi][have]


def _restore_plastic(engine, opened, where):
    local = set(int(c) for c in engine.plan.local_cores())
    for pp in engine.plastic:
        for st, m in enumerate(pp.matrices):
            order, post_core, pre_gid, post_gid, row_pre = canonical_synapses(engine, m)
            cores, counts, checks = segment_checks(post_core, pre_gid, post_gid)
            saved, traces = {}, []
            for f in opened.values():
                name = f"plastic{pp.proj.index}/s{st}"
                if name not in f:
                    continue
                G = f[name]
                o_cores, o_counts, o_checks = G["cores"][...], G["counts"][...], \
                    G["checks"][...]
                bounds = np.concatenate([[0], np.cumsum(o_counts)])
                w = G["weight"]
                for i, c in enumerate(o_cores):
                    if int(c) in local:
                        saved[int(c)] = (int(o_counts[i]), int(o_checks[i]),
                                         w[bounds[i]:bounds[i + 1]])
                traces.append((G["row_pre"][...], G["kplus"][...], G["tlast"][...]))
            same = set(saved) == set(int(c) for c in cores) and all(
                saved[int(c)][0] == n and saved[int(c)][1] == h
                for c, n, h in zip(cores, counts, checks))
            if not same:
                raise CheckpointError(
                    f"{where}: the plastic synapses of {pp.proj} (stage {st}) differ from the "
                    f"network built now ({sum(v[0] for v in saved.values())} saved onto "
                    f"this rank's cores, {post_core.size} built)")
            if cores.size:
                m.syn_weight[order] = np.concatenate([saved[int(c)][2] for c in cores])
            if row_pre.size:
                pre = np.concatenate([t[0] for t in traces])
                uniq, first = np.unique(pre, return_index=True)
                kp = np.concatenate([t[1] for t in traces])[first]
                tl = np.concatenate([t[2] for t in traces])[first]
                at = np.searchsorted(uniq, row_pre)
                if (at >= uniq.size).any() or not np.array_equal(uniq[np.minimum(
                        at, uniq.size - 1)], row_pre):
                    raise CheckpointError(f"{where}: pre traces of {pp.proj} are missing")
                pp.kplus[st][:row_pre.size] = kp[at]       # (one spare entry at the end)
                pp.tlast[st][:row_pre.size] = tl[at]


def _restore_in_flight(engine, opened):
    """Queues and a pending lag-2 tick: the union of the old files' packets, those whose
    source core has rows here (as the uninterrupted run would hold), canonical order."""
    plan, d, cores = engine.plan, engine.delays, engine.cores
    bits = np.uint64(plan.index_bits)
    n_q = d.q_ptr.shape[0]
    held = []
    for q in range(n_q):
        steps = [f[f"queue{q}/step"][...] for f in opened.values()]
        words = [f[f"queue{q}/word"][...] for f in opened.values()]
        s = np.concatenate(steps) if steps else np.empty(0, np.int64)
        w = np.concatenate(words) if words else np.empty(0, np.uint64)
        core = (w >> np.uint64(16) >> bits).astype(np.int64)
        k = cores.slot[core]
        keep = (k >= 0) & d.keep[q][np.maximum(k, 0)]
        s, w = s[keep], w[keep]
        order = np.lexsort((w, s))
        s, w = s[order], w[order]
        first = np.ones(s.size, bool)
        first[1:] = (s[1:] != s[:-1]) | (w[1:] != w[:-1])
        held.append((s[first], w[first]))
    cap = 1024
    while any(s.size > cap for s, _ in held):
        cap *= 2
    if n_q:
        d.q_step = np.zeros((n_q, cap), np.int64)
        d.q_word = np.zeros((n_q, cap), np.uint64)
        for q, (s, w) in enumerate(held):
            d.q_step[q, :s.size], d.q_word[q, :s.size] = s, w
            d.q_ptr[q] = (0, s.size)
        d.released = np.empty(cap, np.uint64)
    pending = [f["pending"] for f in opened.values() if "pending" in f]
    engine.pending = None
    if pending:
        t0, k = int(pending[0].attrs["t0"]), int(pending[0].attrs["k"])
        p = np.unique(np.concatenate([x[...] for x in pending]))
        core = (((p >> np.uint64(16)) & np.uint64(0xFFFFFFFF)) >> bits).astype(np.int64)
        p = p[np.isin(core, plan.incoming)]
        engine.pending = (p, (t0, k))


READ_CHUNK = 1 << 20


def _windows(step, ids, ends):
    """Yield (steps, ids) of the records with step < ends[w], window after window, from
    h5py datasets sorted by step, reading READ_CHUNK records at a time."""
    n, at = step.shape[0], 0
    held_s, held_i = np.empty(0, np.int64), np.empty(0, np.int64)
    for end in ends:
        s_parts, i_parts = [held_s], [held_i]
        while at < n and (s_parts[-1].size == 0 or s_parts[-1][-1] < end):
            hi = min(n, at + READ_CHUNK)
            s_parts.append(step[at:hi])
            i_parts.append(ids[at:hi])
            at = hi
        s, i = np.concatenate(s_parts), np.concatenate(i_parts)
        cut = int(np.searchsorted(s, end, side="left"))
        held_s, held_i = s[cut:], i[cut:]
        yield s[:cut], i[:cut]


def _restore_spool(engine, spool, opened, core_rank):
    """Seed this rank's spool with what its neurons recorded before the checkpoint."""
    rec = engine.recorder
    for g in engine.groups:
        pop = g.pop
        olds = [opened[r] for r in np.unique(core_rank[g.cores])]
        if "spikes" in pop.recording:
            spool.replace_spikes(pop.index, np.empty(0, np.int64), np.empty(0, np.int64))
            parts = [(f[f"spool/spikes{pop.index}/step"], f[f"spool/spikes{pop.index}/id"])
                     for f in olds if f"spool/spikes{pop.index}" in f]
            total = sum(s.shape[0] for s, _ in parts)
            last = max([int(s[-1]) for s, _ in parts if s.shape[0]] + [0])
            # merged window by window (each old file is in (step, id) order): memory stays
            # about one READ_CHUNK of records, whatever was recorded
            n_win = max(1, -(-total // READ_CHUNK))
            ends = [last * (w + 1) // n_win + 1 for w in range(n_win)]
            readers = [_windows(s, i, ends) for s, i in parts]
            for pieces in zip(*readers) if readers else ():
                s = np.concatenate([p[0] for p in pieces])
                i = np.concatenate([p[1] for p in pieces])
                mine = np.isin(i, g.index)
                s, i = s[mine], i[mine]
                order = np.lexsort((i, s))
                spool.append_spikes(pop.index, s[order], i[order])
        for var in g.rec_vars:
            ids = spool.sample_ids(pop.index, var)
            steps, values = None, None
            for f in olds:
                name = f"spool/state{pop.index}/{var}"
                if name not in f:
                    continue
                o_ids, o_steps, o_values = (f[name][x][...] for x in ("ids", "steps", "values"))
                if steps is None:
                    steps = o_steps
                    values = np.full((steps.size, ids.size), np.nan)
                _, mine, theirs = np.intersect1d(ids, o_ids, return_indices=True)
                values[:, mine] = o_values[:, theirs]
            if steps is not None:
                spool.replace_samples(pop.index, var, steps, values)
            key = (pop.index, var)
            rec.samples[key], rec.sample_steps[key] = [], []
    rec.n_held = 0
    rec.buffered = 0
