"""Checkpoint and restore (issue 13): the continuation is bit-identical to the uninterrupted
run — spikes, sampled v, plastic weights — on the same number of ranks and on others; a
damaged, truncated, foreign or other network's checkpoint is refused with a clear error; a
checkpoint that fails half-way leaves the previous one whole."""

import os
import subprocess
import sys

import numpy as np
import pytest

import spinn as sim
from spinn.runtime import checkpoint as ckpt
from tests.mpi_helpers import MPIEXEC, ROOT, _child_env

SCRIPT = ROOT / "tests/validation/scripts/checkpoint_net.py"


def _job(ranks, *args):
    cmd = ([str(MPIEXEC), "-n", str(ranks)] if ranks > 1 else []) + \
        [sys.executable, str(SCRIPT), *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=_child_env(),
                          cwd=ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def _same(a, b):
    a, b = np.load(a), np.load(b)
    assert sorted(a.files) == sorted(b.files)
    for k in a.files:
        assert a[k].shape == b[k].shape and np.array_equal(a[k], b[k], equal_nan=True), k
    return a


@pytest.mark.timeout(600)
@pytest.mark.parametrize("variant", ["plastic", "static"])
def test_restore_onto_1_2_and_3_ranks_continues_bit_identically(variant, tmp_path):
    """Checkpoint at 100 ms on 2 ranks, continue on 1 and on 3; checkpoint on 1, continue on
    2: every continuation's spikes (and v, STDP weights) equal one uninterrupted 200 ms run."""
    if not MPIEXEC.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("no mpiexec in the venv under CI")
        pytest.skip("no mpiexec in the venv")
    full = tmp_path / "full.npz"
    _job(1, variant, "full", "-", full)
    _job(2, variant, "first", tmp_path / "c2", "-")
    _job(1, variant, "first", tmp_path / "c1", "-")
    for ranks, source in ((1, "c2"), (3, "c2"), (2, "c1")):
        out = tmp_path / f"{source}_on_{ranks}.npz"
        _job(ranks, variant, "second", tmp_path / source, out)
        data = _same(full, out)
    spikes = sum(data[k].size for k in data.files if k.endswith("_i"))
    assert spikes > 1000          # a run with something to carry over
    if variant == "plastic":
        assert np.ptp(data["w"][data["w"] > 0]) > 0.05     # the weights did move


# ---- in one process ------------------------------------------------------------------------

def _network(weight=0.3, seed=5):
    sim.setup(timestep=0.1, seed=seed, neurons_per_core=20, verbose=False)
    src = sim.Population(30, sim.SpikeSourcePoisson(rate=400.0), label="src")
    a = sim.Population(40, sim.IF_curr_exp(), label="a")
    sim.Projection(src, a, sim.FixedProbabilityConnector(0.4),
                   sim.StaticSynapse(weight=weight, delay=1.0))
    a.record("spikes")
    return a


def test_checkpoint_restore_in_one_process_and_a_second_checkpoint_replaces_the_first(tmp_path):
    a = _network()
    sim.run(50.0)
    seconds, size = sim.checkpoint(tmp_path / "c")
    assert size > 0 and (tmp_path / "c" / ckpt.MANIFEST).exists()
    sim.run(50.0)
    whole = sim.simulation().results.spikes(a)
    sim.checkpoint(tmp_path / "c")                  # replaced: now at 100 ms
    assert sorted(os.listdir(tmp_path)) == ["c"]   # nothing left beside it
    sim.end()
    a = _network()
    assert sim.restore(tmp_path / "c") == pytest.approx(100.0)
    again = sim.simulation().results.spikes(a)     # the recordings so far came back
    assert np.array_equal(again.times_ms, whole.times_ms) and again.ids.size > 50
    sim.run(10.0)
    sim.write_results(tmp_path / "out")     # nothing lost: the past counts as recorded
    import h5py

    with h5py.File(tmp_path / "out" / "spikes.h5") as f:
        assert f["spikes/a/node_ids"].size == sim.simulation().results.spikes(a).ids.size
    sim.end()


def test_another_network_is_refused_naming_the_first_difference(tmp_path):
    _network(weight=0.3)
    sim.run(10.0)
    sim.checkpoint(tmp_path / "c")
    sim.end()
    _network(weight=0.25)
    with pytest.raises(ckpt.CheckpointError) as info:
        sim.restore(tmp_path / "c")
    msg = str(info.value)
    assert "another network" in msg and "weight" in msg and "0.25" in msg and "0.3" in msg
    assert sim.simulation().engine is None           # refused before building anything
    sim.end()


def _written(tmp_path):
    _network()
    sim.run(10.0)
    sim.checkpoint(tmp_path / "c")
    sim.end()
    return tmp_path / "c"


def _refused(path, *fragments):
    _network()
    with pytest.raises(ckpt.CheckpointError) as info:
        sim.restore(path)
    sim.end()
    msg = str(info.value)
    assert all(f in msg for f in fragments), msg
    return msg


def test_a_bit_flip_in_a_rank_file_is_refused(tmp_path):
    c = _written(tmp_path)
    f = c / ckpt.rank_file(0)
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0x10
    f.write_bytes(bytes(data))
    _refused(c, "rank-00000.h5 is damaged", "SHA-256")


def test_a_truncated_or_random_manifest_is_refused(tmp_path):
    c = _written(tmp_path)
    m = c / ckpt.MANIFEST
    whole = m.read_bytes()
    m.write_bytes(whole[: len(whole) // 2])
    _refused(c, "manifest.msgpack is damaged")
    m.write_bytes(np.random.default_rng(1).bytes(len(whole)))
    _refused(c, "manifest.msgpack is damaged")


def test_a_foreign_or_missing_directory_is_refused(tmp_path):
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("hello")
    _refused(tmp_path / "other", "has no manifest.msgpack", "not a spinn checkpoint")
    _refused(tmp_path / "nowhere", "does not exist")


def test_a_checkpoint_that_fails_half_way_leaves_the_previous_one_whole(tmp_path, monkeypatch):
    a = _network()
    sim.run(20.0)
    sim.checkpoint(tmp_path / "c")
    sim.run(30.0)
    after = sim.simulation().results.spikes(a)
    real = ckpt.write_rank

    def dies_half_way(engine, spool, directory):
        real(engine, spool, directory)
        with open(os.path.join(directory, ckpt.rank_file(0)), "r+b") as f:
            f.truncate(100)                    # the file is half written …
        raise OSError(28, "No space left on device")   # … when the disk fills

    monkeypatch.setattr(ckpt, "write_rank", dies_half_way)
    with pytest.raises(OSError):
        sim.checkpoint(tmp_path / "c")
    monkeypatch.setattr(ckpt, "write_rank", real)
    sim.end()
    a = _network()
    assert sim.restore(tmp_path / "c") == pytest.approx(20.0)    # the previous one, whole
    sim.run(30.0)
    assert np.array_equal(sim.simulation().results.spikes(a).times_ms, after.times_ms)
    sim.end()


def test_restore_after_a_run_is_refused(tmp_path):
    c = _written(tmp_path)
    _network()
    sim.run(5.0)
    with pytest.raises(sim.ConfigurationError, match="already run to t = 5 ms"):
        sim.restore(c)
    sim.end()


def test_the_continued_runs_counters_equal_the_uninterrupted_runs(tmp_path):
    """run(40) + run(40) against restore + run(40): the second run's provenance counters
    (spikes, packets, synaptic events, …) are the same — the state carried nothing less."""
    keys = ("spikes_emitted", "packets_sent", "packets_received", "synaptic_events",
            "spikes_recorded", "unrouted_packets", "population_table_misses",
            "direct_input_events")
    _network()
    sim.run(40.0)
    sim.checkpoint(tmp_path / "c")
    sim.run(40.0)
    whole = sim.simulation().runs[-1]["totals"]
    sim.end()
    _network()
    sim.restore(tmp_path / "c")
    sim.run(40.0)
    again = sim.simulation().runs[-1]["totals"]
    sim.end()
    assert whole["synaptic_events"] > 0
    assert {k: whole[k] for k in keys} == {k: again[k] for k in keys}
    assert whole["populations"]["spikes"] == again["populations"]["spikes"]


# ---- live rate control ------------------------------------------------------------------

def _controlled():
    from tests.validation.scripts.rates_net import build

    return build()


def _rates_log(directory, drive):
    from tests.validation.scripts.rates_net import write_log

    write_log(directory, drive)


def _spikes(*pops):
    out = []
    for p in pops:
        s = sim.simulation().results.spikes(p)
        out.append(np.column_stack([s.times_ms, s.ids]))
    return out


def test_a_checkpoint_keeps_the_rates_a_live_client_set(tmp_path, monkeypatch):
    """Rates set by a client (here replayed from an input log) hold after a restore: the run
    continued from a checkpoint at 10 ms — with no client setting them again — gives the
    uninterrupted run's spikes to the end (30 ms): sources 0–9 switched on at 4 ms, 0–4 off
    again at 7 ms.  Before, the restored sources fell back to the script's 0 Hz."""
    log = tmp_path / "log"
    drive, target = _controlled()
    _rates_log(log, drive)
    sim.end()
    monkeypatch.setenv("SPINN_REPLAY", str(log))
    drive, target = _controlled()
    sim.run(30.0, realtime=False)
    whole = _spikes(drive, target)
    sim.end()
    drive, target = _controlled()
    sim.run(10.0, realtime=False)
    sim.checkpoint(tmp_path / "c")
    sim.end()
    monkeypatch.delenv("SPINN_REPLAY")     # continued live, no client: the rates must hold
    drive, target = _controlled()
    sim.restore(tmp_path / "c")
    sim.run(20.0, realtime=False)
    again = _spikes(drive, target)
    sim.end()
    t, i = whole[0][:, 0], whole[0][:, 1].astype(int)
    on, off = i[(t > 4.0) & (t < 7.0)], i[t > 7.2]
    assert on.size > 5 and set(on) <= set(range(10)) and min(on) < 5
    assert off.size > 20 and set(off) <= set(range(5, 10))      # 0–4 off, to the end
    for a, b in zip(whole, again):
        assert np.array_equal(a, b)


def _injected():
    from spinn import external_devices as ex

    sim.setup(timestep=0.1, seed=5, verbose=False)
    ex.set_live_address("127.0.0.70")
    inj = sim.Population(4, ex.SpikeInjector(notify=False), label="inj")
    inj.record("spikes")
    return inj


def test_a_restored_live_run_continues_the_input_log_and_the_whole_history_replays(
        tmp_path, monkeypatch):
    """The input log of a live run that was checkpointed at 10 ms, went on and died: events
    at steps 30 and 70, then one at 150 (after the checkpoint).  The run restored from the
    checkpoint keeps the first two, drops the third (not its history) and appends its own;
    a replay from t = 0 then gives the events before the checkpoint.  Before, the restored
    run's build truncated the log: the past was lost."""
    import msgpack

    from spinn.live import inputlog

    log = tmp_path / "live"
    monkeypatch.setenv("SPINN_LIVE_LOG", str(log))
    inj = _injected()
    sim.run(10.0, realtime=False)
    sim.checkpoint(tmp_path / "c")
    sim.end()
    path = log / "input-rank-00000.log"
    with open(path, "ab") as f:             # what the run went on to apply before it died
        for step, ids in ((30, [1]), (70, [2, 3]), (150, [0])):
            f.write(msgpack.packb([step, inj.index, ids]))
    inj = _injected()
    sim.restore(tmp_path / "c")
    sim.run(5.0, realtime=False)
    sim.end()
    net_inj = _injected()
    events, _ = inputlog.read_logs(str(log), sim.simulation().network, None)
    steps, ids = events[net_inj.index]
    assert sorted(zip(steps.tolist(), ids.tolist())) == [(30, 1), (70, 2), (70, 3)]
    sim.end()
    monkeypatch.setenv("SPINN_REPLAY", str(log))
    inj = _injected()
    sim.run(20.0)
    s = inj.get_spikes()
    got = sorted(zip(np.round(s.times_ms / 0.1).astype(int).tolist(), s.ids.tolist()))
    assert [i for _, i in got] == [1, 2, 3] and got[0][0] in (30, 31), got
    sim.end()


@pytest.mark.timeout(600)
def test_the_rates_a_client_set_are_restored_onto_2_and_3_ranks(tmp_path):
    """The rates set live on 1 rank (replayed from an input log), checkpointed at 10 ms,
    continued on 2 and on 3 ranks with no client: the uninterrupted run's spikes."""
    if not MPIEXEC.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("no mpiexec in the venv under CI")
        pytest.skip("no mpiexec in the venv")
    script = ROOT / "tests/validation/scripts/rates_net.py"
    log, ck = tmp_path / "log", tmp_path / "c"

    def job(ranks, *args):
        cmd = ([str(MPIEXEC), "-n", str(ranks)] if ranks > 1 else []) + \
            [sys.executable, str(script), *map(str, args)]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=240,
                              env=_child_env(), cwd=ROOT)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    job(1, "log", log, ck)
    job(1, "full", log, ck, tmp_path / "full.npz")
    job(1, "first", log, ck)
    whole = np.load(tmp_path / "full.npz")
    assert whole["drive_t"].size > 20 and whole["target_t"].size > 0
    for n in (2, 3):
        job(n, "second", log, ck, tmp_path / f"second-{n}.npz")
        _same(tmp_path / "full.npz", tmp_path / f"second-{n}.npz")
