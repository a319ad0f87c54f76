"""Bad model input raises spinn.ConfigurationError before any run, and the message names the
object, the parameter, the offending value with its unit, and the fix."""

import numpy as np
import pytest

import spinn as sim
from spinn.model.network import MAX_DELAY_STEPS


@pytest.fixture(autouse=True)
def network():
    net = sim.setup(timestep=0.1, seed=1, verbose=False)
    yield net
    sim.end()


def expect_error(fn, *fragments):
    """Call fn, insist on a ConfigurationError, and check every fragment is in its message."""
    with pytest.raises(sim.ConfigurationError) as info:
        fn()
    message = str(info.value)
    missing = [f for f in fragments if f not in message]
    assert not missing, f"message lacks {missing}: {message!r}"
    return message


def two_pops(n_pre=5, n_post=5):
    return (sim.Population(n_pre, sim.IF_curr_exp(), label="pre"),
            sim.Population(n_post, sim.IF_curr_exp(), label="post"))


# ---- cell parameters ------------------------------------------------------------------


def test_unknown_parameter_lists_valid_ones_and_names_population():
    """An unknown cell parameter (class + cellparams form) names the population, the bad name
    and every valid parameter."""
    msg = expect_error(lambda: sim.Population(10, sim.IF_curr_exp, {"tau_x": 5.0}, label="exc"),
                       "Population 'exc'", "'tau_x'")
    for valid in sim.IF_curr_exp.parameters:
        assert valid in msg


def test_unknown_parameter_on_instance_names_cell_type():
    """An unknown parameter given to a cell type instance names the cell type and lists the
    valid parameters (there is no population yet)."""
    msg = expect_error(lambda: sim.IF_cond_exp(tau_mem=5.0), "IF_cond_exp", "'tau_mem'")
    for valid in sim.IF_cond_exp.parameters:
        assert valid in msg


@pytest.mark.parametrize("cls", [sim.SpikeSourcePoisson, sim.SpikeSourceArray, sim.IF_curr_delta])
def test_unknown_parameter_of_every_cell_type(cls):
    """Every registered cell type rejects an unknown parameter with a ConfigurationError that
    names the population and lists the valid parameters."""
    msg = expect_error(lambda: sim.Population(3, cls, {"foo": 1.0}, label="p"),
                       "Population 'p'", "'foo'")
    for valid in cls.parameters:
        assert valid in msg


def test_unknown_parameter_in_set_names_population():
    """Population.set() with an unknown name names the population and the bad name."""
    pop = sim.Population(3, sim.IF_curr_exp(), label="exc")
    expect_error(lambda: pop.set(tau_x=1.0), "Population 'exc'", "'tau_x'", "tau_m")


@pytest.mark.parametrize("cls,name,unit", [
    (sim.IF_curr_exp, "tau_m", "ms"),
    (sim.IF_curr_exp, "tau_syn_E", "ms"),
    (sim.IF_curr_exp, "tau_syn_I", "ms"),
    (sim.IF_curr_exp, "cm", "nF"),
    (sim.IF_cond_exp, "tau_m", "ms"),
    (sim.IF_cond_exp, "tau_syn_E", "ms"),
    (sim.IF_cond_exp, "cm", "nF"),
    (sim.IF_curr_delta, "tau_m", "ms"),
    (sim.IF_curr_delta, "cm", "nF"),
])
@pytest.mark.parametrize("value", [0.0, -2.0])
def test_nonpositive_time_constant_scalar(cls, name, unit, value):
    """A zero or negative time constant/capacitance names population, parameter, value with
    unit, the constraint and the fix."""
    expect_error(lambda: sim.Population(4, cls(**{name: value}), label="cells"),
                 "Population 'cells'", name, f"{value:g} {unit}", "> 0", f"positive {name}")


def test_nonpositive_time_constant_per_neuron_array():
    """A per-neuron tau_m array with one negative entry is rejected; the message shows the
    range of the values including the bad one, with its unit."""
    tau = np.array([10.0, 20.0, -3.0, 5.0])
    expect_error(lambda: sim.Population(4, sim.IF_curr_exp(tau_m=tau), label="exc"),
                 "Population 'exc'", "tau_m", "-3", "ms", "> 0")


def test_per_neuron_array_of_valid_time_constants_accepted():
    """A per-neuron tau_m array of positive values is accepted (the check is not over-eager)."""
    pop = sim.Population(3, sim.IF_curr_exp(tau_m=np.array([5.0, 10.0, 20.0])), label="ok")
    assert pop.size == 3


def test_normal_distribution_for_tau_m_rejected():
    """RandomDistribution('normal') for tau_m can draw negative values and is rejected with a
    hint to use a bounded distribution; normal_clipped with low > 0 is accepted."""
    rd = sim.RandomDistribution("normal", (10.0, 2.0))
    expect_error(lambda: sim.Population(4, sim.IF_curr_exp(tau_m=rd), label="exc"),
                 "Population 'exc'", "tau_m", "normal", "> 0 ms", "normal_clipped")
    ok = sim.RandomDistribution("normal_clipped", mu=10.0, sigma=2.0, low=1.0, high=30.0)
    assert sim.Population(4, sim.IF_curr_exp(tau_m=ok), label="fine").size == 4


def test_negative_tau_refrac_rejected():
    """A negative refractory period names the parameter, value with unit and constraint."""
    expect_error(lambda: sim.Population(2, sim.IF_curr_exp(tau_refrac=-1.0), label="exc"),
                 "Population 'exc'", "tau_refrac", "-1 ms", "≥ 0")


def test_negative_poisson_rate_rejected():
    """A negative Poisson rate names the population, the value in Hz and the constraint."""
    expect_error(lambda: sim.Population(2, sim.SpikeSourcePoisson(rate=-5.0), label="drive"),
                 "Population 'drive'", "rate", "-5 Hz", "≥ 0")


@pytest.mark.parametrize("cls", [sim.IF_curr_exp, sim.IF_cond_exp, sim.IF_curr_delta])
def test_v_reset_not_below_v_thresh(cls):
    """v_reset ≥ v_thresh (equal counts) names population, both values in mV and the fix."""
    expect_error(lambda: sim.Population(3, cls(v_reset=-50.0, v_thresh=-50.0), label="exc"),
                 "Population 'exc'", "v_reset", "v_thresh", "-50 mV", "lower v_reset")


def test_v_reset_above_v_thresh_per_neuron_reports_bad_neuron():
    """With a per-neuron v_reset the message reports the offending neuron's value."""
    reset = np.array([-60.0, -45.0, -60.0])
    expect_error(lambda: sim.Population(3, sim.IF_curr_exp(v_reset=reset, v_thresh=-50.0),
                                        label="exc"),
                 "Population 'exc'", "v_reset -45 mV", "v_thresh -50 mV", "neuron 1")


def test_v_reset_distribution_reaching_threshold_rejected():
    """A v_reset distribution whose support reaches v_thresh is rejected (no silent pass)."""
    rd = sim.RandomDistribution("uniform", (-70.0, -45.0))
    expect_error(lambda: sim.Population(3, sim.IF_curr_exp(v_reset=rd), label="exc"),
                 "Population 'exc'", "v_reset", "v_thresh")


# ---- populations ----------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, -3])
def test_population_of_nonpositive_size(size):
    """A population of size ≤ 0 names the population, the size and the fix."""
    expect_error(lambda: sim.Population(size, sim.IF_curr_exp(), label="empty"),
                 "Population 'empty'", f"size {size}", "at least one neuron")


def test_record_unrecordable_variable():
    """Recording a variable the cell type lacks names the population, the variable and the
    recordable ones."""
    pop = sim.Population(3, sim.IF_curr_exp(), label="exc")
    expect_error(lambda: pop.record("gsyn_exc"), "Population 'exc'", "'gsyn_exc'",
                 "spikes", "v", "isyn_exc")
    src = sim.Population(3, sim.SpikeSourcePoisson(rate=5.0), label="src")
    expect_error(lambda: src.record("v"), "Population 'src'", "'v'", "recordable: spikes")


def test_record_index_out_of_range():
    """A record index outside the population names it and the valid range."""
    pop = sim.Population(3, sim.IF_curr_exp(), label="exc")
    expect_error(lambda: pop.record("spikes", indices=[0, 3]), "Population 'exc'", "3",
                 "[0, 3)")


def test_spike_source_array_time_before_dt():
    """A SpikeSourceArray time < dt (shared or per-neuron) names the population, the time in ms,
    dt and the fix."""
    expect_error(lambda: sim.Population(2, sim.SpikeSourceArray(spike_times=[0.05, 3.0]),
                                        label="ssa"),
                 "Population 'ssa'", "0.05 ms", "dt = 0.1 ms", "shift")
    expect_error(lambda: sim.Population(2, sim.SpikeSourceArray(spike_times=[[1.0], [0.0, 2.0]]),
                                        label="ssa2"),
                 "Population 'ssa2'", "0 ms", "dt = 0.1 ms")
    assert sim.Population(1, sim.SpikeSourceArray(spike_times=[0.1]), label="ok").size == 1


# ---- projections ----------------------------------------------------------------------


def test_delay_shorter_than_dt():
    """A delay shorter than dt names the projection, the delay and dt in ms and the fix."""
    pre, post = two_pops()
    expect_error(lambda: sim.Projection(pre, post, sim.AllToAllConnector(),
                                        sim.StaticSynapse(weight=0.1, delay=0.05), label="E→I"),
                 "Projection 'E→I'", "delay 0.05 ms", "dt = 0.1 ms", "delay ≥ dt")


def test_delay_beyond_maximum():
    """A delay beyond 16383 steps × dt names the projection, the delay, the maximum in ms and
    the fix; exactly the maximum is accepted."""
    pre, post = two_pops()
    max_ms = MAX_DELAY_STEPS * 0.1
    assert MAX_DELAY_STEPS == 16383
    expect_error(lambda: sim.Projection(pre, post, sim.AllToAllConnector(),
                                        sim.StaticSynapse(weight=0.1, delay=max_ms + 0.1),
                                        label="long"),
                 "Projection 'long'", f"{max_ms + 0.1:g} ms", f"{max_ms:g} ms", "16383",
                 "shorter delay")
    sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(0.1, max_ms))


def test_delay_in_from_list_column_checked():
    """A too-short delay given in a FromListConnector column is caught too."""
    pre, post = two_pops()
    conn = sim.FromListConnector([(0, 1, 0.1, 1.0), (1, 2, 0.1, 0.01)])
    expect_error(lambda: sim.Projection(pre, post, conn, label="list"),
                 "Projection 'list'", "delay 0.01 ms", "dt = 0.1 ms")


def test_unbounded_delay_distribution_rejected():
    """A normal delay distribution (unbounded, can go below dt) is rejected."""
    pre, post = two_pops()
    rd = sim.RandomDistribution("normal", (1.0, 0.5))
    expect_error(lambda: sim.Projection(pre, post, sim.AllToAllConnector(),
                                        sim.StaticSynapse(0.1, rd), label="rd"),
                 "Projection 'rd'", "delay", "unbounded")


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_probability_outside_unit_interval(p):
    """p_connect outside [0, 1] names the projection, the value and the allowed range."""
    pre, post = two_pops()
    expect_error(lambda: sim.Projection(pre, post, sim.FixedProbabilityConnector(p), label="fp"),
                 "Projection 'fp'", "p_connect", f"{p:g}", "[0, 1]")


@pytest.mark.parametrize("row,end,bad", [((5, 1), "pre", 5), ((-1, 1), "pre", -1),
                                         ((0, 7), "post", 7), ((0, -2), "post", -2)])
def test_from_list_index_out_of_range(row, end, bad):
    """A FromListConnector row whose pre/post index is outside the population names the
    projection, the row, which end, the index and the valid range."""
    pre, post = two_pops(5, 6)
    size = 5 if end == "pre" else 6
    conn = sim.FromListConnector([(0, 0), row])
    expect_error(lambda: sim.Projection(pre, post, conn, label="list"),
                 "Projection 'list'", "row 1", f"{end} index {bad}", f"[0, {size})")


def test_receptor_missing_on_spike_source():
    """receptor_type='inhibitory' onto a SpikeSourcePoisson names the projection, the receptor,
    the cell type, and says it has none."""
    src = sim.Population(3, sim.SpikeSourcePoisson(rate=5.0), label="src")
    pre = sim.Population(3, sim.IF_curr_exp(), label="pre")
    expect_error(lambda: sim.Projection(pre, src, sim.OneToOneConnector(),
                                        receptor_type="inhibitory", label="to_src"),
                 "Projection 'to_src'", "'inhibitory'", "SpikeSourcePoisson", "none")


def test_unknown_receptor_lists_valid_ones():
    """receptor_type='foo' names the projection and lists the valid receptor types."""
    pre, post = two_pops()
    expect_error(lambda: sim.Projection(pre, post, sim.OneToOneConnector(), receptor_type="foo",
                                        label="foo_proj"),
                 "Projection 'foo_proj'", "'foo'", "'excitatory'", "'inhibitory'")


def test_wrong_sign_scalar_weight():
    """A weight of the wrong sign (PyNN's and NEST's convention) names the projection and the
    value with its unit (nA for current, µS for conductance) and says which sign it must have:
    a negative excitatory weight or a negative conductance (excitatory or inhibitory) is
    refused and receptor_type='inhibitory' explained; a positive current-based inhibitory
    weight is refused and the negative one asked for."""
    pre, post = two_pops()
    expect_error(lambda: sim.Projection(pre, post, sim.AllToAllConnector(),
                                        sim.StaticSynapse(weight=-0.2, delay=1.0), label="neg"),
                 "Projection 'neg'", "weight -0.2 nA", "must be positive",
                 "receptor_type='inhibitory'")
    cond = sim.Population(5, sim.IF_cond_exp(), label="cond")
    expect_error(lambda: sim.Projection(pre, cond, sim.AllToAllConnector(),
                                        sim.StaticSynapse(weight=-0.01, delay=1.0),
                                        label="neg_g"),
                 "Projection 'neg_g'", "weight -0.01 µS", "must be positive")
    expect_error(lambda: sim.Projection(pre, cond, sim.AllToAllConnector(),
                                        sim.StaticSynapse(weight=-0.01, delay=1.0),
                                        receptor_type="inhibitory", label="neg_gi"),
                 "Projection 'neg_gi'", "weight -0.01 µS", "must be positive")
    expect_error(lambda: sim.Projection(pre, post, sim.AllToAllConnector(),
                                        sim.StaticSynapse(weight=0.2, delay=1.0),
                                        receptor_type="inhibitory", label="pos_inh"),
                 "Projection 'pos_inh'", "weight 0.2 nA", "must be negative")
    delta = sim.Population(5, sim.IF_curr_delta(), label="delta")
    expect_error(lambda: sim.Projection(pre, delta, sim.AllToAllConnector(),
                                        sim.StaticSynapse(weight=0.5, delay=1.0),
                                        receptor_type="inhibitory", label="pos_inh_mV"),
                 "Projection 'pos_inh_mV'", "weight 0.5 mV", "must be negative")
    # the right signs are accepted
    sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=-0.2, delay=1.0),
                   receptor_type="inhibitory")
    sim.Projection(pre, cond, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01, delay=1.0),
                   receptor_type="inhibitory")


def test_wrong_sign_weight_in_list_and_array_and_distribution():
    """Wrong-signed weights are caught in a FromList column, a (pre, post) array and a
    distribution that can leave the allowed sign: negative ones onto an excitatory receptor,
    positive ones onto a current-based inhibitory receptor."""
    pre, post = two_pops(2, 3)
    expect_error(lambda: sim.Projection(pre, post, sim.FromListConnector([(0, 1, -0.5, 1.0)]),
                                        label="l"),
                 "Projection 'l'", "-0.5 nA")
    w = np.full((2, 3), 0.1)
    w[1, 2] = -0.3
    expect_error(lambda: sim.Projection(pre, post, sim.AllToAllConnector(),
                                        sim.StaticSynapse(weight=w, delay=1.0), label="a"),
                 "Projection 'a'", "-0.3 nA")
    rd = sim.RandomDistribution("normal", (0.1, 0.1))
    expect_error(lambda: sim.Projection(pre, post, sim.AllToAllConnector(),
                                        sim.StaticSynapse(weight=rd, delay=1.0), label="d"),
                 "Projection 'd'", "negative", "normal_clipped")
    # inhibitory currents: one positive entry among negative ones is refused
    expect_error(lambda: sim.Projection(pre, post,
                                        sim.FromListConnector([(0, 1, -0.5, 1.0),
                                                               (1, 2, 0.5, 1.0)]),
                                        receptor_type="inhibitory", label="li"),
                 "Projection 'li'", "0.5 nA", "positive", "must be negative")
    w = np.full((2, 3), -0.1)
    w[1, 2] = 0.3
    expect_error(lambda: sim.Projection(pre, post, sim.AllToAllConnector(),
                                        sim.StaticSynapse(weight=w, delay=1.0),
                                        receptor_type="inhibitory", label="ai"),
                 "Projection 'ai'", "0.3 nA", "must be negative")
    rd = sim.RandomDistribution("normal_clipped", mu=-0.1, sigma=0.1, low=-1.0, high=0.05)
    expect_error(lambda: sim.Projection(pre, post, sim.AllToAllConnector(),
                                        sim.StaticSynapse(weight=rd, delay=1.0),
                                        receptor_type="inhibitory", label="di"),
                 "Projection 'di'", "positive", "must be negative", "bounded above by 0",
                 "high=0")
    # distributions bounded by 0 on the right side are accepted
    sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(
        weight=sim.RandomDistribution("normal_clipped", mu=-0.1, sigma=0.1, low=-1.0,
                                      high=0.0), delay=1.0), receptor_type="inhibitory")
    sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(
        weight=sim.RandomDistribution("uniform", low=-0.2, high=0.0), delay=1.0),
        receptor_type="inhibitory")


def test_one_to_one_between_different_sizes():
    """OneToOne between populations of different sizes names the projection and both sizes."""
    pre, post = two_pops(3, 4)
    expect_error(lambda: sim.Projection(pre, post, sim.OneToOneConnector(), label="o2o"),
                 "Projection 'o2o'", "OneToOneConnector", "3 → 4")


def test_fixed_number_pre_too_large_without_replacement():
    """FixedNumberPre n > pre size without replacement names the projection, n, the number
    available and the fix; with replacement it is accepted."""
    pre, post = two_pops(5, 5)
    expect_error(lambda: sim.Projection(pre, post, sim.FixedNumberPreConnector(6), label="fn"),
                 "Projection 'fn'", "n = 6", "5 available pre", "with_replacement=True")
    expect_error(lambda: sim.Projection(pre, pre, sim.FixedNumberPreConnector(
        5, allow_self_connections=False), label="self"), "n = 5", "4 available")
    sim.Projection(pre, post, sim.FixedNumberPreConnector(6, with_replacement=True))


def test_fixed_number_post_checks_post_size():
    """FixedNumberPost n is checked against the post population's size, not the pre's."""
    small, big = (sim.Population(5, sim.IF_curr_exp(), label="small"),
                  sim.Population(10, sim.IF_curr_exp(), label="big"))
    expect_error(lambda: sim.Projection(big, small, sim.FixedNumberPostConnector(8),
                                        label="fnpost"),
                 "Projection 'fnpost'", "FixedNumberPostConnector", "n = 8", "5 available post")
    sim.Projection(small, big, sim.FixedNumberPostConnector(8))  # 8 ≤ 10 post neurons


# ---- run ------------------------------------------------------------------------------


@pytest.mark.parametrize("duration", [1.05, 0.25 + 1e-3, -1.0])
def test_run_duration_not_multiple_of_dt(duration):
    """run() with a duration that is not a non-negative multiple of dt names run, the value in
    ms, dt, and a valid alternative; nothing is built."""
    sim.Population(2, sim.IF_curr_exp(), label="exc")
    expect_error(lambda: sim.run(duration), "run: duration", f"{duration:g} ms",
                 "dt = 0.1 ms", "use a multiple such as")
    assert sim.simulation().engine is None


def test_configuration_error_is_a_value_error():
    """ConfigurationError is both a SpinnError and a ValueError (callers may catch either)."""
    assert issubclass(sim.ConfigurationError, ValueError)
    assert issubclass(sim.ConfigurationError, sim.SpinnError)
