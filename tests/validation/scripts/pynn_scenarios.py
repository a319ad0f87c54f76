"""Deterministic PyNN scenarios run unchanged on spinn.pynn and on pyNN.nest:

    python pynn_scenarios.py spinn OUT.npz        # spinn's venv
    python pynn_scenarios.py nest OUT.npz         # an environment with NEST and PyNN

Each records v and spikes; tests/validation/test_vs_nest.py compares the two files.
"""

import sys

import numpy as np

backend, out = sys.argv[1], sys.argv[2]
if backend == "nest":
    import pyNN.nest as sim
    extra = {"spike_precision": "on_grid"}
else:
    import spinn.pynn as sim
    extra = {}

results = {}


def electrodes(dt):
    """IF_curr_exp and IF_curr_alpha driven by DC, step and AC sources (one neuron each)."""
    sim.setup(timestep=dt, min_delay=dt, **extra)
    for name, celltype in (("exp", sim.IF_curr_exp), ("alpha", sim.IF_curr_alpha)):
        p = sim.Population(3, celltype(tau_m=15.0, cm=0.5, tau_refrac=2.0, v_thresh=-55.0),
                           label=f"drive_{name}")
        sim.DCSource(amplitude=0.6, start=10.0, stop=60.0).inject_into(p[0:1])
        sim.StepCurrentSource(times=[5.0, 25.0, 45.0],
                              amplitudes=[0.4, 0.9, 0.1]).inject_into(p[1:2])
        sim.ACSource(start=5.0, stop=70.0, amplitude=0.5, offset=0.5, frequency=30.0,
                     phase=0.0).inject_into(p[2:3])
        p.record(["v", "spikes"])
        results[name] = p
    sim.run(80.0)
    for name, p in results.items():
        seg = p.get_data().segments[0]
        yield f"electrodes_{name}_dt{dt}_v", np.asarray(seg.analogsignals[0].magnitude)
        for k, st in enumerate(seg.spiketrains):
            yield f"electrodes_{name}_dt{dt}_spikes{k}", np.asarray(st.magnitude)
    results.clear()
    sim.end()


def synapses(dt):
    """A spike train onto IF_curr_exp/IF_curr_alpha through excitatory and inhibitory
    (negative) weights and delays on and off the grid."""
    sim.setup(timestep=dt, min_delay=dt, **extra)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0, 12.0, 12.5, 30.0]),
                         label="src")
    pops = {}
    for name, celltype in (("exp", sim.IF_curr_exp), ("alpha", sim.IF_curr_alpha)):
        p = sim.Population(3, celltype(tau_m=10.0, tau_syn_E=2.0, tau_syn_I=4.0), label=name)
        sim.Projection(src, p[0:1], sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=0.8, delay=1.0), receptor_type="excitatory")
        sim.Projection(src, p[1:2], sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=-0.6, delay=2.5), receptor_type="inhibitory")
        sim.Projection(src, p[2:3], sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=0.5, delay=1.5), receptor_type="excitatory")
        p.record("v")
        pops[name] = p
    sim.run(50.0)
    for name, p in pops.items():
        yield f"synapses_{name}_dt{dt}_v", np.asarray(
            p.get_data().segments[0].analogsignals[0].magnitude)
    sim.end()


def neo_structure():
    """What a Neo Block from get_data() looks like: names, units, annotation keys."""
    import json
    sim.setup(timestep=0.1, min_delay=0.1, **extra)
    p = sim.Population(4, sim.IF_cond_exp(i_offset=1.0), label="cells")
    p.record(["spikes", "v", "gsyn_exc"])
    p[1:3].record("spikes")
    sim.run(30.0)
    blk = p.get_data()
    seg = blk.segments[0]
    st = seg.spiketrains[0]
    desc = {
        "block_annotations": sorted(k for k in blk.annotations if k not in (
            "simulator", "mpi_processes", "pynn_version")),
        "block_name": blk.name, "n_segments": len(blk.segments), "segment_name": seg.name,
        "spiketrain_units": str(st.units), "spiketrain_annotations": sorted(st.annotations),
        "t_start": float(st.t_start), "t_stop": float(st.t_stop),
        "n_spiketrains": len(seg.spiketrains),
        "signals": sorted((a.name, str(a.units), float(a.sampling_period), a.shape[1],
                           sorted(a.annotations), sorted(a.array_annotations),
                           [int(c) for c in a.array_annotations["channel_index"]])
                          for a in seg.analogsignals),
        "signal_t_start": float(seg.analogsignals[0].t_start),
        "n_samples": seg.analogsignals[0].shape[0],
        "view_spiketrains": len(p[1:3].get_data("spikes").segments[0].spiketrains),
        "spike_counts": sorted(p.get_spike_counts().values()),
    }
    sim.end()
    yield "neo_structure", np.array(json.dumps(desc, sort_keys=True))


def nest_native(dt):
    """A circuit written for NEST: native_cell_type / native_synapse_type with NEST's names,
    units and defaults (pA, pF, nS; negative weights inhibitory), as PyNN's SONATA importer
    uses them."""
    sim.setup(timestep=dt, min_delay=dt, **extra)
    # (pyNN.nest's own native spike_generator fails in NEST 3.10: 'spike_multiplicities')
    gen = sim.Population(2, sim.SpikeSourceArray(spike_times=[5.0, 11.0, 11.5, 20.0]),
                         label="gen")
    out = {}
    for name in ("iaf_psc_exp", "iaf_psc_alpha", "iaf_psc_delta"):
        cells = sim.Population(3, sim.native_cell_type(name)(I_e=120.0), label=name)
        rows = [(0, 0, 300.0, 1.0), (1, 1, -450.0, 2.0), (0, 2, 150.0, 1.5),
                (1, 2, -100.0, 3.0)]
        if name == "iaf_psc_delta":
            rows = [(i, j, w / 100.0, d) for i, j, w, d in rows]     # mV
        sim.Projection(gen, cells, sim.FromListConnector(rows, column_names=["weight", "delay"]),
                       sim.native_synapse_type("static_synapse")())
        cells.record(["V_m", "spikes"])
        out[name] = cells
    sim.run(40.0)
    for name, cells in out.items():
        yield f"nest_native_{name}_dt{dt}_v", np.asarray(
            cells.get_data().segments[0].analogsignals[0].magnitude)
    sim.end()


data = dict(neo_structure())
for dt in (0.1, 1.0):
    data.update(nest_native(dt))
for dt in (0.1, 1.0):
    data.update(electrodes(dt))
    data.update(synapses(dt))
np.savez(out, **data)
