"""The PyNN backend's simulator state: PyNN's BaseState over spinn's native run state.

PyNN keeps the time, the segment counter and the recorders here; the network itself is
spinn's (``spinn.api``), built at the first run() as with the native API.
"""

from pyNN import common

from spinn import api

name = "spinn"


class ID(int, common.IDMixin):
    """A neuron's PyNN ID (an int; first_id + population index)."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):

    def __init__(self):
        common.control.BaseState.__init__(self)
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 0.1
        self.min_delay = 0.1
        self.max_delay = 10.0
        self.clear()

    @property
    def t(self):
        try:
            return api.get_current_time()
        except Exception:         # before setup()
            return 0.0

    def run(self, simtime):
        if simtime > 0:
            api.run(simtime, progress=False)
        self.running = True

    def run_until(self, tstop):
        steps = int(round((tstop - self.t) / self.dt))
        self.run(steps * self.dt)

    def clear(self):
        self.recorders = set()
        self.id_counter = 0
        self.segment_counter = -1
        self.write_on_end = []
        self.running = False
        self.t_start = 0
        self.segment_counter += 1

    def reset(self):
        """t = 0 and a new segment: spinn.api.reset (a full reset: nothing of the previous
        run reaches the next one)."""
        api.reset()
        self.running = False
        self.t_start = 0
        self.segment_counter += 1


state = State()
