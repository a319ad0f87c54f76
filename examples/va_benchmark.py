"""Vogels & Abbott (2005) / Brette et al. (2007) benchmark network, COBA or CUBA.

4 000 neurons at --scale 1 (3 200 excitatory, 800 inhibitory), 2 % random connectivity
(FixedProbabilityConnector, autapses allowed), delay 0.2 ms, dt 0.1 ms, initial v uniform in
[-60, -50] mV, tau_m 20 ms, cm 0.2 nF, v_thresh -50 mV, v_reset -60 mV, t_ref 5 ms,
tau_syn_E 5 ms, tau_syn_I 10 ms.

  --variant coba: IF_cond_exp, v_rest -60 mV, e_rev_E 0 mV, e_rev_I -80 mV, weights 4 nS
                  and 51 nS; kick-started by 20 Poisson sources (100 Hz, first 50 ms,
                  p = 0.01, 100 nS) as in PyNN's VAbenchmarks.
  --variant cuba: IF_curr_exp, v_rest -49 mV (self-driven), weights from
                  w = G (E_rev - (-60 mV)): 0.27 nS → 16.2 pA, 4.5 nS → 90 pA.

    spinn run --ranks 2 examples/va_benchmark.py -- --variant coba --out out/coba
"""

import spinn as sim
from spinn.script import example_parser, finish, live_output

COMMON = dict(cm=0.2, tau_m=20.0, v_thresh=-50.0, v_reset=-60.0, tau_refrac=5.0,
              tau_syn_E=5.0, tau_syn_I=10.0, i_offset=0.0)


def build(variant="coba", scale=1.0, p_connect=0.02, delay=0.2, record=True):
    n_exc, n_inh = int(round(3200 * scale)), int(round(800 * scale))
    if variant == "coba":
        cell = sim.IF_cond_exp(v_rest=-60.0, e_rev_E=0.0, e_rev_I=-80.0, **COMMON)
        w_exc, w_inh = 0.004, 0.051                    # µS
    else:
        cell = sim.IF_curr_exp(v_rest=-49.0, **COMMON)
        w_exc, w_inh = 0.27e-3 * 60.0, -4.5e-3 * 20.0  # nA (inhibitory currents negative)
    v0 = {"v": sim.RandomDistribution("uniform", low=-60.0, high=-50.0)}
    E = sim.Population(n_exc, cell, initial_values=v0, label="E")
    I = sim.Population(n_inh, cell, initial_values=v0, label="I")
    conn = sim.FixedProbabilityConnector(p_connect)
    for post in (E, I):
        sim.Projection(E, post, conn, sim.StaticSynapse(weight=w_exc, delay=delay),
                       receptor_type="excitatory", label=f"E→{post.label}")
        sim.Projection(I, post, conn, sim.StaticSynapse(weight=w_inh, delay=delay),
                       receptor_type="inhibitory", label=f"I→{post.label}")
    if variant == "coba":
        kick = sim.Population(20, sim.SpikeSourcePoisson(rate=100.0, start=0.0, duration=50.0),
                              label="kick")
        for post in (E, I):
            sim.Projection(kick, post, sim.FixedProbabilityConnector(0.01),
                           sim.StaticSynapse(weight=0.1, delay=delay), label=f"kick→{post.label}")
    if record:
        E.record("spikes")
        I.record("spikes")
    return E, I


def main(argv=None):
    p = example_parser(__doc__.splitlines()[0])
    p.add_argument("--variant", choices=["coba", "cuba"], default="coba")
    p.add_argument("--realtime", action="store_true", help="pace the run to the wall clock")
    args = p.parse_args(argv)
    sim.setup(timestep=0.1, seed=args.seed, verbose=not args.quiet)
    E, I = build(args.variant, args.scale)
    live = live_output(sim, args, (E, I))
    sim.run(args.duration, realtime=live or args.realtime)
    return finish(sim, args, (E, I), f"va_benchmark {args.variant}",
                  f"Vogels-Abbott {args.variant.upper()}")


if __name__ == "__main__":
    main()
