"""Brunel (2000) balanced random network, model A, asynchronous irregular regime.

g = 5, eta = 2, delta synapses (IF_curr_delta), J = 0.1 mV, delay 1.5 ms, dt 0.1 ms.
At --scale 1: NE = 10 000 excitatory and NI = 2 500 inhibitory neurons, fixed in-degrees
CE = 1 000 and CI = 250 (multapses and autapses allowed, as NEST's brunel_delta_nest.py).
tau_m 20 ms, theta 20 mV, V_reset 10 mV, t_ref 2 ms, initial V uniform in [0, 20) mV.
External drive: each neuron receives an independent Poisson train at
eta * nu_thr * CE, nu_thr = theta / (J CE tau_m), with weight J (20 kHz at eta = 2).
--scale scales NE and NI; --k-scale scales CE and CI (J kept, drive follows CE).

    spinn run --ranks 2 examples/brunel.py -- --duration 1000 --out out/brunel
    mpiexec -n 4 python examples/brunel.py --scale 0.5
"""

import time

import spinn as sim
from spinn.script import example_parser, finish, live_output


def build(scale=1.0, k_scale=1.0, g=5.0, eta=2.0, J=0.1, delay=1.5, record=True, stdp=False):
    """The network; stdp=True makes E→E plastic (additive pair rule, w_max = 2 J)."""
    NE, NI = int(round(10000 * scale)), int(round(2500 * scale))
    CE, CI = int(round(1000 * k_scale)), int(round(250 * k_scale))
    tau_m, theta = 20.0, 20.0
    nu_thr = theta / (J * CE * tau_m)            # per ms
    rate_ext = 1000.0 * eta * nu_thr * CE        # Hz per neuron
    cell = sim.IF_curr_delta(tau_m=tau_m, cm=0.25, v_rest=0.0, v_reset=10.0,
                             v_thresh=theta, tau_refrac=2.0, i_offset=0.0)
    v0 = {"v": sim.RandomDistribution("uniform", low=0.0, high=theta)}
    E = sim.Population(NE, cell, initial_values=v0, label="E")
    I = sim.Population(NI, cell, initial_values=v0, label="I")
    noise_E = sim.Population(NE, sim.SpikeSourcePoisson(rate=rate_ext), label="noise_E")
    noise_I = sim.Population(NI, sim.SpikeSourcePoisson(rate=rate_ext), label="noise_I")
    exc = sim.StaticSynapse(weight=J, delay=delay)
    inh = sim.StaticSynapse(weight=-g * J, delay=delay)     # inhibitory currents: negative
    sim.Projection(noise_E, E, sim.OneToOneConnector(), exc, label="noise→E")
    sim.Projection(noise_I, I, sim.OneToOneConnector(), exc, label="noise→I")
    plastic = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01,
                                            A_minus=0.0105),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=2 * J),
        weight=J, delay=delay)
    for post in (E, I):
        syn = plastic if stdp and post is E else exc
        sim.Projection(E, post, sim.FixedNumberPreConnector(CE, with_replacement=True), syn,
                       receptor_type="excitatory", label=f"E→{post.label}")
        sim.Projection(I, post, sim.FixedNumberPreConnector(CI, with_replacement=True), inh,
                       receptor_type="inhibitory", label=f"I→{post.label}")
    if record:
        E.record("spikes")
        I.record("spikes")
    return E, I


def main(argv=None):
    p = example_parser(__doc__.splitlines()[0])
    p.add_argument("--k-scale", type=float, default=1.0, help="scales the in-degrees")
    p.add_argument("--dt", type=float, default=0.1, help="integration step (ms)")
    p.add_argument("--realtime", action="store_true", help="pace the run to the wall clock")
    p.add_argument("--stdp", action="store_true", help="E→E synapses plastic (pair rule)")
    args = p.parse_args(argv)
    sim.setup(timestep=args.dt, seed=args.seed, verbose=not args.quiet)
    t0 = time.perf_counter()
    E, I = build(args.scale, args.k_scale, stdp=args.stdp)
    live = live_output(sim, args, (E, I))
    sim.run(args.duration, realtime=args.realtime or live)
    return finish(sim, args, (E, I), "brunel", f"Brunel model A, scale {args.scale:g}",
                  f", wall {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
