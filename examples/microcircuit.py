"""Potjans & Diesmann (2014) cortical microcircuit: 8 populations of IF_curr_exp neurons.

Full scale: 77 169 neurons and ~3·10^8 synapses.  Connectivity is a fixed total number of
synapses per projection (multapses allowed), derived from the published connection
probabilities; weights and delays are normal (weights kept sign-consistent, delays ≥ dt),
L4E→L23E doubled, g = −4, PSP 0.15 mV; background: Poisson at 8 Hz × K_ext per neuron (or its
mean as DC with --background dc).  --scale scales neuron numbers, --k-scale in-degrees (default:
same as --scale); for K scaling < 1 weights grow by 1/√K and a DC current keeps the mean input
(the usual compensation).  Prints the rate of each population.

    spinn run --ranks 2 examples/microcircuit.py -- --scale 0.25 --duration 1000
"""

import numpy as np

import spinn as sim
from spinn.script import example_parser, finish

POPS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
N_FULL = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
# connection probabilities [target, source] (Potjans & Diesmann 2014, Table 5)
P_CONN = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443]])
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
RATES_FULL = np.array([0.943, 3.026, 4.368, 5.882, 7.733, 8.664, 1.096, 7.851])  # Hz
V0_MEAN = np.array([-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43])
V0_SD = np.array([5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48])
CELL = dict(cm=0.25, tau_m=10.0, tau_syn_E=0.5, tau_syn_I=0.5, tau_refrac=2.0,
            v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0)        # nF, ms, mV
BG_RATE, PSP_EXC, G, W_SD = 8.0, 0.15, -4.0, 0.1
DELAY_E, DELAY_I, DELAY_SD, DELAY_EXT = 1.5, 0.75, 0.5, 1.5


def psc_per_psp(cm, tau_m, tau_s):
    """nA of exponential current per mV of PSP peak on the LIF membrane."""
    t_peak = tau_m * tau_s / (tau_m - tau_s) * np.log(tau_m / tau_s)
    v_peak = tau_s * tau_m / (cm * (tau_m - tau_s)) * (np.exp(-t_peak / tau_m)
                                                         - np.exp(-t_peak / tau_s))
    return 1.0 / v_peak


def derive(scale, k_scale, background):
    """Neuron and synapse numbers, weights (nA), DC (nA) for the given scaling."""
    pairs = np.outer(N_FULL, N_FULL).astype(float)
    syn_full = np.log(1.0 - P_CONN) / np.log((pairs - 1.0) / pairs)
    n = np.round(N_FULL * scale).astype(int)
    n_syn = np.round(syn_full * scale * k_scale).astype(int)
    k_ext = np.round(K_EXT * k_scale).astype(int)
    unit = psc_per_psp(CELL["cm"], CELL["tau_m"], CELL["tau_syn_E"])
    w = np.tile([PSP_EXC, G * PSP_EXC], (8, 4)) * unit
    w[0, 2] *= 2.0                                       # L4E → L23E doubled
    w_ext = PSP_EXC * unit
    tau = CELL["tau_syn_E"]
    dc = np.zeros(8) if background == "poisson" else BG_RATE * K_EXT * w_ext * tau * 1e-3
    if k_scale != 1.0:
        indegree = syn_full / N_FULL[:, None]
        lost = (1.0 - np.sqrt(k_scale)) * tau * 1e-3
        dc = dc + lost * np.sum(w * indegree * RATES_FULL, axis=1)
        if background == "poisson":
            dc = dc + lost * w_ext * K_EXT * BG_RATE
        w, w_ext = w / np.sqrt(k_scale), w_ext / np.sqrt(k_scale)
    return dict(n=n, n_syn=n_syn, k_ext=k_ext, w=w, w_ext=w_ext, dc=dc)


def build(scale=0.1, k_scale=None, background="poisson", record=True, dt=0.1):
    k_scale = scale if k_scale is None else k_scale
    d = derive(scale, k_scale, background)
    rd = sim.RandomDistribution
    pops = []
    for i, name in enumerate(POPS):
        pops.append(sim.Population(
            int(d["n"][i]), sim.IF_curr_exp(i_offset=float(d["dc"][i]), **CELL), label=name,
            initial_values={"v": rd("normal", mu=V0_MEAN[i], sigma=V0_SD[i])}))
        if background == "poisson":
            noise = sim.Population(int(d["n"][i]), sim.SpikeSourcePoisson(
                rate=BG_RATE * float(d["k_ext"][i])), label=f"bg_{name}")
            sim.Projection(noise, pops[i], sim.OneToOneConnector(),
                           sim.StaticSynapse(weight=d["w_ext"], delay=DELAY_EXT))
    for i, post in enumerate(pops):
        for j, pre in enumerate(pops):
            if d["n_syn"][i, j] <= 0:
                continue
            w = abs(d["w"][i, j])
            mean_delay = DELAY_E if j % 2 == 0 else DELAY_I
            sd = mean_delay * DELAY_SD
            # inhibitory current weights are negative (PyNN's and NEST's convention)
            weight = rd("normal_clipped", mu=w, sigma=w * W_SD, low=0.0, high=w * 10) \
                if j % 2 == 0 else rd("normal_clipped", mu=-w, sigma=w * W_SD, low=-w * 10,
                                      high=0.0)
            syn = sim.StaticSynapse(
                weight=weight,
                delay=rd("normal_clipped", mu=mean_delay, sigma=sd, low=dt,
                         high=mean_delay + 10 * sd))
            sim.Projection(pre, post, sim.FixedTotalNumberConnector(int(d["n_syn"][i, j])),
                           syn, receptor_type="excitatory" if j % 2 == 0 else "inhibitory",
                           label=f"{pre.label}→{post.label}")
    if record:
        for p in pops:
            p.record("spikes")
    return pops


def main(argv=None):
    p = example_parser(__doc__.splitlines()[0], duration_ms=1000.0)
    p.set_defaults(scale=0.1)
    p.add_argument("--k-scale", type=float, default=None, help="in-degree scaling (default "
                                                                  "= --scale)")
    p.add_argument("--background", choices=["poisson", "dc"], default="poisson")
    args = p.parse_args(argv)
    sim.setup(timestep=0.1, seed=args.seed, verbose=not args.quiet)
    pops = build(args.scale, args.k_scale, args.background)
    sim.run(args.duration)
    return finish(sim, args, pops, f"microcircuit scale {args.scale:g}",
                  f"Potjans & Diesmann 2014, scale {args.scale:g}", f", {args.background} drive")


if __name__ == "__main__":
    main()
