"""Live I/O with sPyNNaker's names (``spynnaker.pyNN.external_devices``): a script written
for SpiNNaker changes only its import line, and its host-side clients
(``SpynnakerLiveSpikesConnection`` from the sPyNNaker package) work unchanged.

    import spinn as sim
    from spinn import external_devices as ex
    inj = sim.Population(10, ex.SpikeInjector(database_notify_port_num=19996), label="in")
    out = sim.Population(10, sim.IF_curr_exp(), label="out")
    ex.activate_live_output_for(out, database_notify_port_num=19996)

Implemented: SpikeInjector, activate_live_output_for, add_poisson_live_rate_control,
register_database_notification_request, run_forever, request_stop, set_live_address.  Not
yet: the SPIF, Ethernet control and motor devices.  How it works: spinn.live.
"""

import ipaddress
import warnings

from spinn.dynamics.spike_injector import SpikeInjector, listener
from spinn.errors import ConfigurationError
from spinn.live import protocol as wire

__all__ = ["SpikeInjector", "activate_live_output_for", "add_poisson_live_rate_control",
           "register_database_notification_request",
           "run_forever", "request_stop", "set_live_address"]

# activate_live_output_for's other sPyNNaker keywords: accepted at their defaults (what
# spinn sends), refused otherwise
_DEFAULTS = {"use_prefix": False, "key_prefix": None, "prefix_type": None,
             "message_type": None, "right_shift": 0, "payload_as_time_stamps": True,
             "use_payload_prefix": True, "payload_prefix": None, "payload_right_shift": 0,
             "number_of_packets_sent_per_time_step": 0, "translate_keys": False,
             "partition_ids": None}


def _network():
    from spinn.api import current

    net = current()
    if net.frozen:
        raise ConfigurationError("live I/O: the network was already built by run(); declare "
                                 "live input and output before the first run()")
    return net


def activate_live_output_for(population, database_notify_host=None,
                             database_notify_port_num=None, database_ack_port_num=None,
                             port=None, host=None, tag=None, strip_sdp=True, notify=True,
                             **others):
    """Send the population's spikes, as they happen, to a live client: EIEIO packets of
    32-bit keys with the time step as payload, to the address the client names in its
    IP-tag request (else host:port).  notify: wait, before each run, for the listener at
    database_notify_host:database_notify_port_num (default localhost:19999) to read the
    database and acknowledge."""
    who = f"activate_live_output_for({population})"
    net = _network()
    pop = getattr(population, "parent", population)
    if getattr(population, "parent", population) is not population:
        raise ConfigurationError(f"{who}: a view; activate live output for the whole "
                                 f"population ({pop})")
    if pop.network is not net:
        raise ConfigurationError(f"{who}: the population belongs to another network")
    for k, v in others.items():
        if k not in _DEFAULTS:
            raise ConfigurationError(f"{who}: unknown keyword {k!r}")
        if v != _DEFAULTS[k] and not (k == "message_type" and getattr(v, "name", v)
                                      in ("KEY_32_BIT", None)):
            raise ConfigurationError(
                f"{who}: {k} = {v!r} is not supported; spinn sends 32-bit keys with the time "
                f"step as payload prefix (sPyNNaker's defaults): leave {k} out")
    if not strip_sdp:
        raise ConfigurationError(f"{who}: strip_sdp = False is not supported (sPyNNaker's "
                                 f"clients need stripped SDP headers too); leave it out")
    if tag is not None:
        warnings.warn(f"{who}: tag = {tag} is ignored; spinn numbers the tags", stacklevel=2)
    host = "0.0.0.0" if host is None else host
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        raise ConfigurationError(f"{who}: host = {host!r} is not an IPv4 address; give one "
                                 f"such as \"127.0.0.1\"") from None
    _, port, _ = listener("localhost", port or wire.LIVE_SPIKE_PORT, None, who)
    net.__dict__.setdefault("live_outputs", {})[pop.index] = {
        "host": host, "port": port,
        "listener": listener(database_notify_host, database_notify_port_num,
                             database_ack_port_num, who) if notify else None}


def add_poisson_live_rate_control(poisson_population, control_label_extension="_control",
                                  receive_port=None, database_notify_host=None,
                                  database_notify_port_num=None, database_ack_port_num=None,
                                  notify=True, reserve_reverse_ip_tag=False):
    """Let a live client set the rates of a SpikeSourcePoisson population while it runs
    (sPyNNaker's ``SpynnakerPoissonControlConnection.set_rates``, to the label
    ``<label><control_label_extension>``).  The population becomes one core (≤ 65 536
    sources): the rates enter on the rank that owns it, at the next tick boundary, and are
    written to the input log.  Its sources then draw every count from the Poisson
    distribution directly (not from the shared tables), so their spikes differ from an
    uncontrolled population's with the same seed — on every rank count alike."""
    who = f"add_poisson_live_rate_control({poisson_population})"
    net = _network()
    pop = poisson_population
    if getattr(pop, "parent", pop) is not pop:
        raise ConfigurationError(f"{who}: a view; control the whole population")
    if pop.celltype.name != "SpikeSourcePoisson":
        raise ConfigurationError(f"{who}: a {pop.celltype.name}; live rate control is for "
                                 f"SpikeSourcePoisson populations")
    if pop.size > 1 << 16:
        raise ConfigurationError(f"{who}: {pop.size} sources; at most 65536 (one core takes "
                                 f"the live input): use several populations")
    if not isinstance(control_label_extension, str) or not control_label_extension:
        raise ConfigurationError(f"{who}: control_label_extension = "
                                 f"{control_label_extension!r}; give a non-empty string")
    if receive_port is not None or reserve_reverse_ip_tag:
        warnings.warn(f"{who}: receive_port and reserve_reverse_ip_tag are ignored: clients "
                      f"reach the board at its SCP port, as through SpiNNaker's Ethernet",
                      stacklevel=2)
    pop.neurons_per_core = pop.max_neurons_per_core = pop.size
    net.__dict__.setdefault("live_rate_controls", {})[pop.index] = {
        "label": pop.label + control_label_extension,
        "listener": listener(database_notify_host, database_notify_port_num,
                             database_ack_port_num, who) if notify else None}


def register_database_notification_request(hostname, notify_port, ack_port):
    """Another listener to notify before each run (sPyNNaker's name)."""
    net = _network()
    net.__dict__.setdefault("live_listeners", []).append(
        listener(hostname, notify_port, ack_port, "register_database_notification_request"))


def set_live_address(address):
    """The address rank 0's board is reached at (rank r: this + r).  Default 127.0.0.1;
    $SPINN_LIVE_ADDRESS overrides it."""
    try:
        ipaddress.IPv4Address(address)
    except ValueError:
        raise ConfigurationError(f"set_live_address: {address!r} is not an IPv4 address; "
                                 f"give one such as \"127.0.0.2\"") from None
    _network().live_address = address


def run_forever(sync_time=0.0):
    """Run until request_stop() (from a callback or another thread; collective: every
    rank stops at the same tick, within 100 ticks of the request: the ranks vote inside the
    compiled call every 50 ticks, spinn.kernels.agree)."""
    if sync_time:
        raise ConfigurationError("run_forever: sync_time is not supported; leave it out")
    from spinn.api import simulation

    return simulation().run_forever()


def request_stop():
    """Ask a run_forever() to stop (on this rank; the ranks agree within 100 ticks; a job of
    one rank stops after the tick in progress).  May be
    called from any thread — a live client's callback, a timer — of the process."""
    from spinn.api import _ACTIVE

    for state in list(_ACTIVE):       # the running network, whichever thread asks
        state.request_stop()
