"""Recorded results: SONATA spike files readable with plain h5py, provenance that accounts for
every recorded spike, sampled state with the t = 0 sample and the requested interval, and
recording of index subsets."""

import json

import h5py
import numpy as np
import pytest

import spinn as sim
from spinn.runtime.comm import run_threads

# spike times a SpikeSourceArray emits: a spike listed at t is stamped t (t ≥ dt)
ARRAY_TIMES = [[1.0, 4.0, 7.5], [2.0], [], [0.1, 9.9, 10.0]]


@pytest.fixture(autouse=True)
def _end():
    yield
    sim.end()


def build(comm=None, npc=16):
    sim.setup(timestep=0.1, seed=7, neurons_per_core=npc, comm=comm, verbose=False)
    src = sim.Population(40, sim.SpikeSourcePoisson(rate=80.0), label="src")
    arr = sim.Population(4, sim.SpikeSourceArray(spike_times=ARRAY_TIMES), label="arr")
    exc = sim.Population(40, sim.IF_curr_exp(tau_refrac=2.0), label="exc")
    quiet = sim.Population(5, sim.IF_cond_exp(), label="quiet")
    sim.Projection(src, exc, sim.OneToOneConnector(), sim.StaticSynapse(5.0, 1.0))
    sim.Projection(arr, quiet, sim.AllToAllConnector(), sim.StaticSynapse(0.001, 1.0))
    for pop in (src, arr, exc):
        pop.record("spikes")
    return src, arr, exc, quiet


def test_sonata_layout_readable_with_h5py(tmp_path):
    """write_results writes /spikes/<label>/timestamps (ms, sorted by time, units attribute)
    and node_ids per recorded population, equal to get_spikes(); unrecorded ones are absent."""
    src, arr, exc, quiet = build()
    sim.run(30.0)
    paths = sim.write_results(str(tmp_path))
    with h5py.File(paths["spikes"], "r") as f:
        assert set(f["spikes"]) == {"src", "arr", "exc"}
        for pop in (src, arr, exc):
            g = f["spikes"][pop.label]
            ts, ids = g["timestamps"][()], g["node_ids"][()]
            assert g["timestamps"].attrs["units"] == "ms"
            assert g.attrs["sorting"] == "by_time"
            assert np.all(np.diff(ts) >= 0)
            times, want_ids = pop.get_spikes()
            np.testing.assert_array_equal(ts, times)
            np.testing.assert_array_equal(ids.astype(np.int64), want_ids)
            assert ids.size > 0 and ids.max() < pop.size
    for key in ("provenance", "raster"):
        assert (tmp_path / paths[key].split("/")[-1]).exists()


def test_spike_source_array_times_recorded_exactly():
    """A SpikeSourceArray's recorded spikes are exactly its listed times and ids."""
    _, arr, _, _ = build()
    sim.run(20.0)
    times, ids = arr.get_spikes()
    want = sorted((t, i) for i, seq in enumerate(ARRAY_TIMES) for t in seq)
    got = list(zip(np.round(times, 9).tolist(), ids.tolist(), strict=True))
    assert got == want


def test_provenance_accounts_for_every_spike(tmp_path):
    """provenance.json's spikes_written equals the spikes recorded (over two runs), equals the
    number of spikes in the SONATA file, and the totals of each run are present."""
    src, arr, exc, _ = build()
    sim.run(15.0)
    sim.run(15.0)
    paths = sim.write_results(str(tmp_path))
    data = json.loads((tmp_path / "provenance.json").read_text())
    recorded = sum(r["totals"]["spikes_recorded"] for r in data["runs"])
    in_file = 0
    with h5py.File(paths["spikes"], "r") as f:
        in_file = sum(f["spikes"][k]["timestamps"].shape[0] for k in f["spikes"])
    n_spikes = sum(p.get_spikes().ids.size for p in (src, arr, exc))
    assert len(data["runs"]) == 2 and recorded > 0
    assert data["spikes_written"] == recorded == in_file == n_spikes
    assert sim.provenance()["spikes_recorded"] == data["runs"][-1]["totals"]["spikes_recorded"]


def test_write_results_on_several_ranks_writes_once_and_completely(tmp_path):
    """On 3 ThreadComm ranks only rank 0 writes, and the file holds the spikes of all ranks."""
    def fn(comm):
        _, _, exc, _ = build(comm, npc=8)
        sim.run(20.0)
        paths = sim.write_results(str(tmp_path))
        spikes = exc.get_spikes()
        sim.end()
        return paths, spikes

    results = run_threads(3, fn)
    assert results[0][0] is not None and results[1][0] is None and results[2][0] is None
    with h5py.File(results[0][0]["spikes"], "r") as f:
        np.testing.assert_array_equal(f["spikes/exc/timestamps"][()], results[0][1].times_ms)
    assert results[0][1].ids.size > 0


def test_state_sampling_includes_t0_and_respects_interval():
    """get_data('v') has the t = 0 sample (the initial value) and one sample per
    sampling_interval up to the end, over two runs; shape is (n_times, n_ids)."""
    _, _, exc, quiet = build()
    exc.record("v", sampling_interval=2.5)
    exc.initialize(v=-60.0)
    quiet.record(["v", "gsyn_exc"])
    sim.run(10.0)
    sim.run(5.0)
    t, ids, v = exc.get_data("v")
    np.testing.assert_allclose(t, np.arange(0.0, 15.0 + 1e-9, 2.5), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(ids, np.arange(40))
    assert v.shape == (7, 40) and np.all(np.isfinite(v))
    np.testing.assert_array_equal(v[0], np.full(40, -60.0))
    assert np.any(v[1:] != -60.0)  # the neurons moved
    t, ids, g = quiet.get_data("gsyn_exc")
    assert g.shape == (151, 5) and t[0] == 0.0 and np.isclose(t[-1], 15.0)
    np.testing.assert_allclose(np.diff(t), 0.1, atol=1e-9)
    assert np.all(g[0] == 0.0) and g.max() > 0  # the array spikes arrive


def test_sampled_state_matches_every_step_recording():
    """Sampling every 1 ms gives exactly every 10th row of a per-step recording of the same
    neurons (same network, same seed)."""
    def trace(interval):
        _, _, exc, _ = build()
        exc.record("v", indices=[3, 17], sampling_interval=interval)
        sim.run(20.0)
        out = exc.get_data("v")
        sim.end()
        return out

    fine, coarse = trace(0.1), trace(1.0)
    np.testing.assert_array_equal(coarse.values, fine.values[::10])
    np.testing.assert_allclose(coarse.times_ms, fine.times_ms[::10], atol=1e-12)


def test_recording_index_subsets():
    """Recording spikes of some indices returns only those; v of other indices returns only
    those ids, in order, and their traces equal those from recording everything."""
    def run(spike_idx, v_idx):
        src, _, exc, _ = build()
        exc.record("spikes", indices=spike_idx)
        exc.record("v", indices=v_idx)
        sim.run(20.0)
        out = exc.get_spikes(), exc.get_data("v"), exc.mean_rate()
        sim.end()
        return out

    (all_t, all_i), all_v, _ = run(None, None)
    (t, i), v, rate = run([2, 9, 30, 31], [31, 0, 5])
    keep = np.isin(all_i, [2, 9, 30, 31])
    assert keep.any() and not keep.all()
    np.testing.assert_array_equal(i, all_i[keep])
    np.testing.assert_array_equal(t, all_t[keep])
    np.testing.assert_array_equal(v.ids, [0, 5, 31])
    np.testing.assert_array_equal(v.values, all_v.values[:, [0, 5, 31]])
    assert rate == pytest.approx(i.size / (4 * 0.020))


def test_unrecorded_variable_raises():
    """get_data of a variable that was not recorded raises, naming the variable."""
    _, _, exc, _ = build()
    sim.run(1.0)
    with pytest.raises(KeyError, match="'v'"):
        exc.get_data("v")


def test_sonata_root_attributes_and_frame_reports(tmp_path):
    """Every SONATA file has magic 0x0A7A and version (0, 1); sampled state goes to one frame
    report per variable (v.h5, gsyn_exc.h5) whose data, node ids and time axis equal
    get_data; after reset() write_results writes the new segment, complete."""
    from spinn.recording.sonata import read_frames

    src, arr, exc, quiet = build()
    exc.record("v", indices=[0, 3, 5])
    quiet.record(["v", "gsyn_exc"], sampling_interval=0.5)
    sim.run(20.0)
    sim.reset()
    sim.run(30.0)
    paths = sim.write_results(str(tmp_path))
    for key in ("spikes", "v", "gsyn_exc"):
        with h5py.File(paths[key], "r") as f:
            assert int(f.attrs["magic"]) == 0x0A7A
            assert list(f.attrs["version"]) == [0, 1]
    v = read_frames(paths["v"])
    assert set(v) == {"exc", "quiet"} and set(read_frames(paths["gsyn_exc"])) == {"quiet"}
    for pop in (exc, quiet):
        t, ids, values = pop.get_data("v")
        ft, fids, fvalues = v[pop.label]
        np.testing.assert_allclose(ft, t)
        np.testing.assert_array_equal(fids, ids)
        np.testing.assert_allclose(fvalues, values.astype(np.float32))
    assert v["quiet"][0][1] - v["quiet"][0][0] == pytest.approx(0.5)
    with h5py.File(paths["v"], "r") as f:
        assert f["report/exc/data"].attrs["units"] == "mV"
        assert f["report/exc/mapping/time"].attrs["units"] == "ms"
        assert list(f["report/exc/mapping/index_pointers"][()]) == [0, 1, 2, 3]
    times, _ = exc.get_spikes()
    assert times.max() <= 30.0                            # the segment after the reset
