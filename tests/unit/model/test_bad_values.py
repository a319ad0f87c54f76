"""Non-numbers where numbers belong, duplicate labels and unwritable directories are refused
when given — naming the object, the parameter, the value and the fix — never after a run
(issue 13, "Faults")."""

import os

import numpy as np
import pytest

import spinn as sim
from tests.unit.model.test_errors import expect_error as expect
from tests.unit.model.test_errors import network  # noqa: F401 (autouse: setup() … end())


@pytest.mark.parametrize("bad", ["twenty", "20", None, True, [1.0, "x"], object()])
def test_cell_parameter_that_is_not_a_number_names_cell_type_parameter_and_unit(bad):
    expect(lambda: sim.IF_curr_exp(tau_m=bad), "IF_curr_exp", "tau_m", "not a number")


def test_example_in_the_message_is_the_parameter_default_with_its_unit():
    msg = expect(lambda: sim.IF_curr_exp(tau_m="twenty"), "'twenty' (str)", "in ms",
                 "tau_m=20.0")
    assert "ValueError: could not convert" not in msg


def test_population_set_and_initialize_name_the_population():
    a = sim.Population(5, sim.IF_curr_exp(), label="exc")
    expect(lambda: a.set(tau_m="10"), "Population 'exc'", "tau_m")
    expect(lambda: a.initialize(v="x"), "Population 'exc'", "initialize()", "v", "mV")
    a.initialize(v=np.full(5, -60.0))          # numbers still pass
    a.set(tau_m=np.linspace(10, 20, 5))


@pytest.mark.parametrize("make, fragments", [
    (lambda: sim.StaticSynapse(weight="0.1"), ("StaticSynapse", "weight", "'0.1'")),
    (lambda: sim.StaticSynapse(weight=0.1, delay="1"), ("StaticSynapse", "delay", "in ms")),
    (lambda: sim.STDPMechanism(weight=None), ("STDPMechanism", "weight", "None")),
    (lambda: sim.SpikePairRule(tau_plus="20"), ("SpikePairRule", "tau_plus", "ms")),
    (lambda: sim.FixedProbabilityConnector("0.1"), ("FixedProbabilityConnector", "p_connect")),
    (lambda: sim.FixedNumberPreConnector("5"), ("FixedNumberPreConnector", "n", "'5'")),
    (lambda: sim.FixedNumberPreConnector(2.5), ("FixedNumberPreConnector", "n", "whole")),
    (lambda: sim.DCSource(amplitude="x"), ("DCSource", "amplitude")),
    (lambda: sim.SpikeSourcePoisson(rate="twenty"), ("SpikeSourcePoisson", "rate", "Hz")),
])
def test_synapse_connector_and_source_values_that_are_not_numbers(make, fragments):
    expect(make, *fragments, "not a")


def test_projection_set_names_the_projection():
    a = sim.Population(5, sim.IF_curr_exp(), label="a")
    p = sim.Projection(a, a, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.1))
    expect(lambda: p.set(weight="x"), "Projection 'a→a'", "weight")


def test_run_duration_that_is_not_a_number():
    sim.Population(5, sim.IF_curr_exp(), label="a")
    expect(lambda: sim.run("10"), "run", "duration", "'10'", "ms")
    expect(lambda: sim.run(None), "run", "duration")


def test_duplicate_population_label_is_refused_when_created():
    sim.Population(5, sim.IF_curr_exp(), label="exc")
    expect(lambda: sim.Population(5, sim.IF_curr_exp(), label="exc"),
           "Population 'exc'", "label 'exc' is already used", "number 0")


def test_duplicate_projection_label_is_refused_but_default_labels_are_numbered():
    a = sim.Population(5, sim.IF_curr_exp(), label="a")
    sim.Projection(a, a, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.1), label="p")
    expect(lambda: sim.Projection(a, a, sim.OneToOneConnector(), label="p"),
           "Projection 'p'", "already used")
    # two unnamed projections between the same pair (excitatory + inhibitory) stay legal
    e = sim.Projection(a, a, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.1))
    i = sim.Projection(a, a, sim.OneToOneConnector(), sim.StaticSynapse(weight=-0.1),
                       receptor_type="inhibitory")
    assert (e.label, i.label) == ("a→a", "a→a (2)")


def test_unwritable_out_dir_is_refused_at_setup(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    expect(lambda: sim.setup(out_dir=blocker / "results", verbose=False),
           "setup: out_dir", "cannot be written", "results")


def test_unwritable_spool_dir_is_refused_at_setup(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    expect(lambda: sim.setup(spool_dir=str(blocker), verbose=False), "spool directory",
           "cannot be written")


def test_out_dir_given_at_setup_is_created_and_used_by_write_results(tmp_path):
    out = tmp_path / "deep" / "results"
    sim.setup(timestep=0.1, seed=1, verbose=False, out_dir=out)
    assert os.path.isdir(out)
    a = sim.Population(5, sim.SpikeSourceArray(spike_times=[1.0, 2.0]), label="src")
    a.record("spikes")
    sim.run(5.0)
    sim.write_results()
    assert (out / "spikes.h5").exists()


def test_a_label_that_is_not_a_string_is_refused():
    """Found by the property tests: an object as label ran until the outputs were written."""
    expect(lambda: sim.Population(5, sim.IF_curr_exp(), label=object()), "Population",
           "is not a string")
    a = sim.Population(5, sim.IF_curr_exp(), label="a")
    expect(lambda: sim.Projection(a, a, sim.OneToOneConnector(), label=3), "Projection",
           "label 3 (int) is not a string")
