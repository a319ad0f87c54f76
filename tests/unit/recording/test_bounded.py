"""Recording that scales: each rank streams its recordings to its own spool during the run in
bounded memory; nothing is gathered after run(); the SONATA file is assembled window by
window; the getters read back from disk, collectively or rank-locally."""

import h5py
import numpy as np

import spinn as sim
from spinn.recording import sonata
from spinn.runtime.comm import LocalComm, run_threads


def network(comm, buffer_mb=16.0, spool=None, **setup):
    sim.setup(timestep=0.1, seed=9, neurons_per_core=16, comm=comm, verbose=False,
              record_buffer_mb=buffer_mb, spool_dir=spool, **setup)
    src = sim.Population(48, sim.SpikeSourcePoisson(rate=90.0), label="src")
    exc = sim.Population(64, sim.IF_curr_exp(tau_refrac=2.0, i_offset=0.4), label="exc")
    sim.Projection(src, exc, sim.FixedProbabilityConnector(0.3), sim.StaticSynapse(1.0, 1.0))
    sim.Projection(exc, exc, sim.FixedProbabilityConnector(0.1), sim.StaticSynapse(0.2, 1.5))
    src.record("spikes")
    exc.record(["spikes", "v"], indices=[0, 20, 63], sampling_interval=0.5)
    return src, exc


def file_contents(path):
    with h5py.File(path, "r") as f:
        return {k: (f["spikes"][k]["timestamps"][()], f["spikes"][k]["node_ids"][()],
                    dict(f["spikes"][k].attrs), dict(f["spikes"][k]["timestamps"].attrs))
                for k in f["spikes"]}


def assert_same_recordings(out_a, read_a, out_b, read_b):
    """The SONATA files under out_a and out_b (times, ids, attributes) and what was read back
    (spikes, v) are identical, and not empty."""
    a, b = file_contents(out_a / "spikes.h5"), file_contents(out_b / "spikes.h5")
    assert a.keys() == b.keys() == {"src", "exc"}
    for k in a:
        assert np.array_equal(a[k][0], b[k][0]) and np.array_equal(a[k][1], b[k][1])
        assert a[k][2] == b[k][2] and a[k][3] == b[k][3] and a[k][0].size > 20
    for x, y in zip(read_a, read_b):
        for u, v in zip(x, y):
            assert np.array_equal(u, v)


def run_and_write(comm, out, buffer_mb):
    src, exc = network(comm, buffer_mb)
    sim.run(30.0)
    sim.run(20.0)
    state = sim.simulation()
    flushes = state.engine.recorder.flushes
    held = state.engine.recorder.buffered
    sim.write_results(str(out))
    result = (flushes, held, exc.get_spikes(), exc.get_data("v"))
    sim.end()
    return result


def test_a_tiny_flush_size_gives_the_same_file_as_one_flush(tmp_path):
    """With a 256-byte recording buffer a rank flushes many times during each run, with 16 MB
    once per run; on 2 ranks the SONATA files (times, ids, attributes), the spikes and the
    sampled v read back are identical — and after run() nothing is left in memory."""
    small = run_threads(2, lambda c: run_and_write(c, tmp_path / "small", 256 / 2**20))
    big = run_threads(2, lambda c: run_and_write(c, tmp_path / "big", 16.0))
    assert all(r[0] > 10 for r in small) and all(r[0] == 2 for r in big)
    assert all(r[1] == 0 for r in small + big)
    assert_same_recordings(tmp_path / "small", small[0][2:], tmp_path / "big", big[0][2:])


def test_a_write_in_small_pieces_gives_the_same_file(tmp_path, monkeypatch):
    """A flush writes its spikes a piece at a time, each split by population in compiled
    code: pieces of 3 records (both populations' spikes interleaved in each) give the same
    SONATA file, spikes and v as whole flushes."""
    import spinn.recording.recorder as recorder

    whole = run_threads(2, lambda c: run_and_write(c, tmp_path / "whole", 16.0))
    monkeypatch.setattr(recorder, "WRITE_RECORDS", 3)
    pieces = run_threads(2, lambda c: run_and_write(c, tmp_path / "pieces", 16.0))
    assert_same_recordings(tmp_path / "pieces", pieces[0][2:], tmp_path / "whole",
                           whole[0][2:])


def test_real_time_flushes_by_a_thread_give_the_same_file(tmp_path):
    """In a real-time run a full buffer is written by a thread while the ticks go on (the
    second buffer takes its place): with a 256-byte buffer, on 2 ranks, many background
    flushes — and the SONATA file, spikes and v read back are those of an offline run that
    flushed once per run."""
    def live(comm, out):
        src, exc = network(comm, 256 / 2**20, time_scale_factor=0.2)
        sim.run(30.0, realtime=True)
        sim.run(20.0, realtime=True)
        rec = sim.simulation().engine.recorder
        n = (rec.background_flushes, rec.buffered, rec._writer)
        sim.write_results(str(out))
        result = (n, exc.get_spikes(), exc.get_data("v"))
        sim.end()
        return result

    paced = run_threads(2, lambda c: live(c, tmp_path / "paced"))
    offline = run_threads(2, lambda c: run_and_write(c, tmp_path / "offline", 16.0))
    counts = [r[0] for r in paced]
    assert all(n > 5 and left == 0 and writer is None for n, left, writer in counts), counts
    assert_same_recordings(tmp_path / "paced", paced[0][1:], tmp_path / "offline",
                           offline[0][2:])


def test_gathered_spikes_are_the_union_of_every_ranks_own(tmp_path):
    """get_spikes(gather=False) gives a rank its own neurons' spikes only (no
    communication); their union over 3 ranks is exactly get_spikes() (collective), which
    equals a 1-rank run's."""
    def fn(comm):
        _, exc = network(comm)
        sim.run(40.0)
        local = exc.get_spikes(gather=False)
        mine = sim.simulation().engine.groups
        owned = np.concatenate([g.index for g in mine if g.pop is exc]) if any(
            g.pop is exc for g in mine) else np.empty(0, np.int64)
        whole = exc.get_spikes()
        sim.end()
        return local, owned, whole

    per_rank = run_threads(3, fn)
    (_, _, one), = run_threads(1, fn)
    for local, owned, _ in per_rank:
        assert np.all(np.isin(local.ids, owned))
    times = np.concatenate([r[0].times_ms for r in per_rank])
    ids = np.concatenate([r[0].ids for r in per_rank])
    order = np.lexsort((ids, times))
    for _, _, whole in per_rank:
        assert np.array_equal(whole.times_ms, times[order])
        assert np.array_equal(whole.ids, ids[order])
        assert np.array_equal(whole.ids, one.ids) and np.array_equal(whole.times_ms,
                                                                     one.times_ms)


def test_spike_file_windows_do_not_change_the_file(tmp_path):
    """Assembling the SONATA file in windows of at most 7 spikes (many gathers to rank 0)
    gives exactly the file of one window."""
    def fn(comm, budget, path):
        src, exc = network(comm)
        sim.run(25.0)
        state = sim.simulation()
        n = sonata.write_spikes(str(path), comm, state.spool, {"src": src.index,
                                                               "exc": exc.index},
                                0.1, state.engine.step, budget=budget)
        sim.end()
        return n

    n7 = run_threads(2, lambda c: fn(c, 7, tmp_path / "w7.h5"))
    n_all = run_threads(2, lambda c: fn(c, 1 << 30, tmp_path / "all.h5"))
    assert n7 == n_all and n7[0] > 100
    a, b = file_contents(tmp_path / "w7.h5"), file_contents(tmp_path / "all.h5")
    for k in a:
        assert np.array_equal(a[k][0], b[k][0]) and np.array_equal(a[k][1], b[k][1])
        assert np.all(np.diff(a[k][0]) >= 0)


def test_recordings_live_in_the_spool_and_leave_with_the_network(tmp_path):
    """The spikes and samples of a run are in this rank's spool directory (raw files) after
    run(); end() removes the directory."""
    network(LocalComm(), spool=str(tmp_path))
    sim.run(10.0)
    spool = sim.simulation().spool.directory
    names = sorted(p.name for p in (tmp_path.glob("spinn-*/*/*")))
    assert any(n.startswith("spikes_") for n in names)
    assert any(n.startswith("state_") and n.endswith(".bin") for n in names)
    sim.end()
    assert not (tmp_path / spool).exists()
