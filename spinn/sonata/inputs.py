"""Spike inputs of a SONATA simulation config: virtual nodes fed from spike files.

Layouts read (the ones the Allen Institute's tools wrote over the years):
- HDF5 (``module: h5`` or ``sonata``): ``/spikes/<population>/timestamps`` with
  ``node_ids`` (SONATA 1.0) or ``gids``; or ``/spikes/timestamps`` with ``/spikes/gids``
  (bmtk before SONATA named populations: the node set says which population);
- CSV (``module: csv``): space-separated columns ``timestamps``, ``node_ids`` (or ``gids``),
  optionally ``population``.
"""

import csv

import numpy as np

from spinn.errors import ConfigurationError


def _h5_spikes(path, population):
    import h5py

    with h5py.File(path, "r") as f:
        if "spikes" not in f:
            raise ConfigurationError(f"SONATA: spike input {path} has no /spikes group")
        g = f["spikes"]
        if "timestamps" in g:                              # bmtk's layout before 1.0
            ids = g["gids"] if "gids" in g else g.get("node_ids")
            if ids is None:
                raise ConfigurationError(
                    f"SONATA: spike input {path}: /spikes/timestamps without /spikes/gids")
            return np.asarray(g["timestamps"][()], np.float64), np.asarray(ids[()], np.int64)
        if population not in g:
            raise ConfigurationError(
                f"SONATA: spike input {path} has no spikes of population {population!r} "
                f"(it has {', '.join(g)})")
        p = g[population]
        ids = p["node_ids"] if "node_ids" in p else p.get("gids")
        if ids is None or "timestamps" not in p:
            raise ConfigurationError(
                f"SONATA: spike input {path}: /spikes/{population} needs timestamps and "
                f"node_ids")
        return np.asarray(p["timestamps"][()], np.float64), np.asarray(ids[()], np.int64)


def _csv_spikes(path, population):
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter=" ", skipinitialspace=True))
    if not rows:
        return np.empty(0), np.empty(0, np.int64)
    head = rows[0]
    idcol = "node_ids" if "node_ids" in head else "gids" if "gids" in head else None
    if "timestamps" not in head or idcol is None:
        raise ConfigurationError(
            f"SONATA: spike input {path}: the header must name timestamps and node_ids "
            f"(it has {' '.join(head)})")
    t, i = head.index("timestamps"), head.index(idcol)
    p = head.index("population") if "population" in head else None
    body = [r for r in rows[1:] if r and (p is None or r[p] == population)]
    return (np.array([float(r[t]) for r in body], np.float64),
            np.array([int(r[i]) for r in body], np.int64))


def read_spike_input(name, config, population):
    """(times ms float64[], node ids int64[]) of one input of the simulation config."""
    kind = config.get("input_type")
    if kind != "spikes":
        raise ConfigurationError(
            f"SONATA: input {name!r} has input_type {kind!r}; spinn reads spike inputs "
            f"(input_type: spikes) so far")
    module = config.get("module", "h5")
    path = config.get("input_file")
    if not isinstance(path, str):
        raise ConfigurationError(f"SONATA: input {name!r} has no input_file")
    try:
        if module in ("h5", "sonata", "hdf5"):
            times, ids = _h5_spikes(path, population)
        elif module == "csv":
            times, ids = _csv_spikes(path, population)
        else:
            raise ConfigurationError(
                f"SONATA: input {name!r} has module {module!r}; spinn reads h5, sonata and "
                f"csv spike files")
    except FileNotFoundError:
        raise ConfigurationError(f"SONATA: input {name!r}: {path} does not exist") from None
    if times.size != ids.size:
        raise ConfigurationError(f"SONATA: input {name!r}: {path} has {times.size} "
                                 f"timestamps for {ids.size} node ids")
    if times.size and (not np.all(np.isfinite(times)) or times.min() < 0):
        raise ConfigurationError(f"SONATA: input {name!r}: {path} holds a spike at "
                                 f"{times.min():g} ms; times must be finite and ≥ 0 ms")
    return times, ids
