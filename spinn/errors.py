"""spinn's exceptions.

Every message names the object, the parameter, the value with its unit, the
constraint and the fix, e.g.::

    Projection 'E→I': delay 0.05 ms is shorter than dt = 0.1 ms; use a delay ≥ dt or a smaller dt
"""


class SpinnError(Exception):
    """Base class of every error spinn raises on purpose."""


class ConfigurationError(SpinnError, ValueError):
    """Bad model input, detected before any communication, identically on every rank."""


class SimulationError(SpinnError, RuntimeError):
    """A failure while building or running; under MPI it aborts every rank."""


class RunWarning(UserWarning):
    """Something in a run the user should know about (tick overruns, STDP history
    overflow, packets without a route): issued on rank 0 through ``warnings`` and logged to
    the ``spinn`` logger, each with what it means and how to fix it."""
