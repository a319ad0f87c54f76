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
    """A failure while building or running; under MPI it aborts every rank, unless every
    rank raised it together (an agreed stop, as on_overrun="stop"): then each rank may catch
    it."""


class RunWarning(UserWarning):
    """Something in a run the user should know about (tick overruns, STDP history
    overflow, packets without a route): issued on rank 0 through ``warnings`` and logged to
    the ``spinn`` logger, each with what it means and how to fix it."""


def number(value, where, name, unit="", integer=False, example=None):
    """``value`` as a float (or an int when ``integer``), refusing what is not a number —
    strings (even ``'20'``: a quoted number is usually a mistake in a parameter file),
    None, booleans, NaN — with a message that names the object, the parameter and the
    value.  ``where`` names the object ("IF_curr_exp", "Projection 'E→I'"), ``unit`` the
    parameter's unit ("ms", "nA"; "" for a pure number)."""
    import numbers

    fix = f"give a number{' in ' + unit if unit else ''}"
    if isinstance(value, (bool, str, bytes)) or not isinstance(value, numbers.Real):
        raise ConfigurationError(
            f"{where}: {name} = {value!r} ({type(value).__name__}) is not a number; {fix}, "
            f"e.g. {name}={example if example is not None else (1 if integer else 1.0)!r}")
    if integer:
        if isinstance(value, numbers.Integral):
            return int(value)
        if float(value).is_integer():
            return int(value)
        raise ConfigurationError(
            f"{where}: {name} = {value!r} is not a whole number; {fix} without a fraction")
    v = float(value)
    if v != v:
        raise ConfigurationError(f"{where}: {name} = nan{' ' + unit if unit else ''}; {fix}")
    return v


def numbers_array(value, where, name, unit="", example=None):
    """A scalar (number()) or an array of real numbers as float64, refusing strings, None
    and object arrays the same way."""
    import numpy as np

    if np.ndim(value) == 0 and not isinstance(value, np.ndarray):
        return number(value, where, name, unit, example=example)
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        bad = next((v for v in arr.ravel() if isinstance(v, (str, bytes, bool)) or v is None
                    or not isinstance(v, (int, float, np.number))), arr.ravel()[:1])
        raise ConfigurationError(
            f"{where}: {name} holds {bad!r} ({type(bad).__name__}), not a number; give "
            f"numbers{' in ' + unit if unit else ''}")
    return float(arr) if arr.ndim == 0 else arr.astype(np.float64)
