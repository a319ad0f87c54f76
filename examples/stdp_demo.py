"""STDP demo: neurons learn which of their inputs are correlated (Song, Miller & Abbott 2000).

1 000 Poisson inputs at 10 Hz drive 20 IF_curr_exp neurons through additive STDP synapses.
Half of the inputs share spikes (each copies a common "mother" train's spikes with
probability c = 0.2, topped up with independent spikes to 10 Hz); the other half are
independent.  Pair-based STDP with slightly dominant depression strengthens the correlated
inputs and weakens the others: the weight distribution splits.  Writes
OUT/weights_split.png (correlated and independent inputs' weights before and after) beside
what write_results writes: spikes.h5, provenance.json, raster.png, weights.png (the whole
distribution as built and at the end) and the final weights.

    python examples/stdp_demo.py --duration 20000 --out out/stdp
    spinn run --ranks 2 examples/stdp_demo.py -- --out out/stdp
"""

import numpy as np

import spinn as sim
from spinn.script import example_parser

N_IN, N_OUT, RATE_HZ, C = 1000, 20, 10.0, 0.2
W_MAX = 0.01  # nA: 1 000 inputs at 10 Hz of mean weight W_MAX/2 give ~0.25 nA


def input_trains(rng, duration_ms, dt):
    """Correlated trains for the first half of the inputs, independent for the second."""
    def poisson(rate_hz):
        n = rng.poisson(rate_hz * duration_ms / 1000.0)
        return rng.uniform(dt, max(duration_ms, dt), n)

    mother = poisson(RATE_HZ)
    trains = []
    for i in range(N_IN):
        if i < N_IN // 2:
            t = np.concatenate([mother[rng.random(mother.size) < C], poisson(RATE_HZ * (1 - C))])
        else:
            t = poisson(RATE_HZ)
        trains.append(np.unique(np.maximum(np.round(t / dt) * dt, dt)))
    return trains


def build(duration_ms, seed, scale=1.0, dt=0.1):
    rng = np.random.default_rng(seed)
    n_out = max(1, int(round(N_OUT * scale)))
    inputs = sim.Population(N_IN, sim.SpikeSourceArray(
        spike_times=input_trains(rng, duration_ms, dt)), label="inputs")
    neurons = sim.Population(n_out, sim.IF_curr_exp(tau_m=20.0, cm=0.2, v_rest=-70.0,
                                                     v_reset=-70.0, v_thresh=-54.0,
                                                     tau_refrac=2.0, tau_syn_E=5.0),
                             label="neurons")
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.02,
                                            A_minus=0.021),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=W_MAX),
        weight=sim.RandomDistribution("uniform", (0.0, W_MAX)), delay=1.0)
    proj = sim.Projection(inputs, neurons, sim.AllToAllConnector(), stdp, label="inputs→neurons")
    neurons.record("spikes")
    inputs[:50].record("spikes")
    inputs[N_IN // 2: N_IN // 2 + 50].record("spikes")
    return neurons, proj


def plot_weights(path, before, after):
    """Correlated and independent inputs' weights, before and after (the pyplot state and
    backend are left alone)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.5))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2, sharey=True)
    bins = np.linspace(0.0, W_MAX, 26)
    for ax, w, title in ((axes[0], before, "before"), (axes[1], after, "after")):
        pre = w[:, 0].astype(int)
        ax.hist(w[pre < N_IN // 2, 2], bins, alpha=0.7, label="correlated inputs")
        ax.hist(w[pre >= N_IN // 2, 2], bins, alpha=0.7, label="independent inputs")
        ax.set_title(f"weights {title}")
        ax.set_xlabel("weight (nA)")
    axes[0].set_ylabel("synapses")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None):
    p = example_parser(__doc__.splitlines()[0], duration_ms=20000.0)
    args = p.parse_args(argv)
    sim.setup(timestep=0.1, seed=args.seed, verbose=not args.quiet)
    neurons, proj = build(args.duration, args.seed, args.scale)
    sim.run(min(0.1, args.duration))
    before = np.array(proj.get("weight"))
    sim.run(max(args.duration - 0.1, 0.0))
    after = np.array(proj.get("weight"))
    corr = after[:, 0] < N_IN // 2
    result = {"rate_hz": neurons.mean_rate(), "w_correlated": float(after[corr, 2].mean()),
              "w_independent": float(after[~corr, 2].mean()),
              "w_before": float(before[:, 2].mean())}
    if sim.rank() == 0:
        print(f"stdp_demo: output rate {result['rate_hz']:.1f} Hz; mean weight "
              f"{result['w_before']:.4f} → correlated {result['w_correlated']:.4f}, "
              f"independent {result['w_independent']:.4f} nA", flush=True)
    if args.out:
        sim.write_results(args.out, title="STDP demo")
        if sim.rank() == 0:
            plot_weights(f"{args.out}/weights_split.png", before, after)
    sim.end()
    return result


if __name__ == "__main__":
    main()
