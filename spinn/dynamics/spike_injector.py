"""SpikeInjector: a population of sources whose spikes come from outside, live.

sPyNNaker's ``external_devices.SpikeInjector`` (keywords ``notify``, ``database_notify_host``,
``database_notify_port_num``, ``database_ack_port_num``): a client sends events over UDP —
SDP-wrapped EIEIO packets, 16-bit atom ids or 32-bit keys, as to a SpiNNaker board
(spinn/live) — and each event becomes a spike of that source at the next tick boundary: in the
first step of the tick (reaching a target at the tick's start + dt + delay), on the rank that
owns the injector's core.  The population is one core (at most 65 536 neurons, as one of
SpiNNaker's reverse-IP-tag sources): the live input enters at one place.  Every applied event
is written to the input log; ``spinn replay LOG script.py`` feeds the same events at the same
ticks (this cell type then reads them from the log) on any number of ranks.
"""

import numpy as np

from spinn.dynamics.base import CellType
from spinn.dynamics.spike_source_array import _tick
from spinn.errors import ConfigurationError, number

EVENTS_PER_TICK = 1 << 16     # events one injector takes per tick; more are counted, dropped
NEVER = np.iinfo(np.int64).max
NOTIFY_PORT = 19999           # where listeners wait for "database ready" (sPyNNaker's)


class SpikeInjector(CellType):
    step_ns = 0.05
    parameters = {}
    state = {}
    recordable = ("spikes",)
    receptors = ()
    is_source = True
    one_core = True           # the live input enters at one core (spinn.model.network)

    def __init__(self, notify=True, database_notify_host=None, database_notify_port_num=None,
                 database_ack_port_num=None, **unknown):
        if unknown:
            raise ConfigurationError(
                f"SpikeInjector: unknown parameter {', '.join(map(repr, sorted(unknown)))}; "
                f"valid keywords: notify, database_notify_host, database_notify_port_num, "
                f"database_ack_port_num (it has no neuron parameters)")
        self.values = {}
        self.listener = listener(database_notify_host, database_notify_port_num,
                                 database_ack_port_num, "SpikeInjector") if notify else None

    def kernel(self):
        return _tick

    def kernel_args(self, g):
        return (g.ev_step, g.ev_lid, g.ev_count, g.cursor, g.keys)


def build_injector_events(g, events=None):
    """The group's event arrays.  Live: room for EVENTS_PER_TICK events a tick, filled at
    each tick boundary (spinn.live.LiveIO.before_update).  Replay: ``events`` (steps and
    population indices from the input log), sorted as SpikeSourceArray's."""
    if events is None:
        g.ev_step = np.full(EVENTS_PER_TICK + 1, NEVER, np.int64)
        g.ev_lid = np.zeros(EVENTS_PER_TICK + 1, np.int64)
        g.ev_count = np.ones(EVENTS_PER_TICK + 1, np.int64)
    else:
        steps, ids = events
        pairs, counts = np.unique(np.stack([steps, ids]), axis=1, return_counts=True) \
            if steps.size else (np.zeros((2, 0), np.int64), np.zeros(0, np.int64))
        g.ev_step = pairs[0].astype(np.int64)
        g.ev_lid = (pairs[1] - int(g.core_lo[0])).astype(np.int64) + int(g.core_bounds[0])
        g.ev_count = np.minimum(counts, 0xFFFF).astype(np.int64)
    g.cursor = np.zeros(1, np.int64)


def listener(host, port, ack_port, who):
    """A listener's address, checked: (host, notify port, ack port or None)."""
    host = "localhost" if host is None else host
    if not isinstance(host, str) or not host:
        raise ConfigurationError(f"{who}: database_notify_host = {host!r} is not a host name; "
                                 f"give a name or an address such as \"127.0.0.1\"")
    ports = []
    for name, value, default in (("database_notify_port_num", port, NOTIFY_PORT),
                                 ("database_ack_port_num", ack_port, None)):
        if value is None:
            ports.append(default)
            continue
        v = number(value, who, name, "")
        if v != int(v) or not 1 <= v <= 65535:
            raise ConfigurationError(f"{who}: {name} = {value!r} is not a UDP port; give an "
                                     f"integer in [1, 65535]")
        ports.append(int(v))
    return (host, ports[0], ports[1])
