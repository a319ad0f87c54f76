"""sPyNNaker's ``spynnaker.pyNN.external_devices`` on the PyNN backend: an sPyNNaker script
changes only its import lines (``import spinn.pynn as sim``, ``sim.external_devices`` or
``import spinn.pynn.external_devices as ex``).  The same functions as spinn.external_devices,
taking PyNN populations; SpikeInjector as a PyNN cell type."""

from pyNN.standardmodels import StandardCellType, build_translations

from spinn import external_devices as _native
from spinn.dynamics.spike_injector import SpikeInjector as _NativeInjector

__all__ = ["SpikeInjector", "activate_live_output_for", "add_poisson_live_rate_control",
           "register_database_notification_request", "run_forever", "request_stop",
           "set_live_address"]


class SpikeInjector(StandardCellType):
    """A population of sources whose spikes a live client sends (spinn.dynamics.
    spike_injector); keywords as sPyNNaker's."""

    default_parameters = {}
    default_initial_values = {}
    recordable = ["spikes"]
    receptor_types = ()
    injectable = False
    units = {}
    translations = build_translations()

    def __init__(self, notify=True, database_notify_host=None, database_notify_port_num=None,
                 database_ack_port_num=None):
        super().__init__()
        keywords = dict(notify=notify, database_notify_host=database_notify_host,
                        database_notify_port_num=database_notify_port_num,
                        database_ack_port_num=database_ack_port_num)
        _NativeInjector(**keywords)              # checked here, where the script says it
        self.native = lambda **params: _NativeInjector(**keywords, **params)


def _pop(population):
    native = getattr(population, "_native", None)
    return native if native is not None else population


def activate_live_output_for(population, **keywords):
    _native.activate_live_output_for(_pop(population), **keywords)


def add_poisson_live_rate_control(poisson_population, **keywords):
    _native.add_poisson_live_rate_control(_pop(poisson_population), **keywords)


activate_live_output_for.__doc__ = _native.activate_live_output_for.__doc__
add_poisson_live_rate_control.__doc__ = _native.add_poisson_live_rate_control.__doc__
register_database_notification_request = _native.register_database_notification_request
run_forever = _native.run_forever
request_stop = _native.request_stop
set_live_address = _native.set_live_address
