"""The network description as comparable data: a list of (where, what, value) strings.

Every setting a script declares appears once, in declaration order, with arrays as a digest
of their bytes (so the list stays small whatever the network's size).  Ranks compare a hash
of it before anything is allocated (spinn.simulation), and the first differing item names
the object, the setting and both values.
"""

import hashlib

import numpy as np

from spinn.distributions import RandomDistribution


def value_text(value):
    """A short, exact text for a setting's value."""
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, np.integer):
        return repr(int(value))
    if isinstance(value, RandomDistribution):
        return repr(value)
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return _sequences_text(list(value))
        data = np.ascontiguousarray(value)
        return f"array {data.dtype}{list(data.shape)} sha1:" \
               f"{hashlib.sha1(data.tobytes()).hexdigest()[:16]}"
    if isinstance(value, (list, tuple)):
        if value and all(np.ndim(v) >= 1 for v in value):
            return _sequences_text(value)
        if all(isinstance(v, (int, float, np.number)) for v in value):
            return value_text(np.asarray(value, np.float64))
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {value_text(v)}" for k, v in value.items()) + "}"
    return type(value).__name__ + "(" + ", ".join(
        f"{k}={value_text(v)}" for k, v in public_settings(value)) + ")"


def _sequences_text(seqs):
    lengths = np.array([np.size(s) for s in seqs], np.int64)
    flat = np.concatenate([np.asarray(s, np.float64).ravel() for s in seqs]) if seqs else \
        np.empty(0)
    h = hashlib.sha1(lengths.tobytes() + flat.tobytes()).hexdigest()[:16]
    return f"{len(seqs)} sequences, {flat.size} values, sha1:{h}"


def public_settings(obj):
    """(name, value) of an object's settings: its public attributes, sorted by name."""
    return sorted((k, v) for k, v in vars(obj).items()
                  if not k.startswith("_") and not callable(v))


def endpoint_text(endpoint):
    """A projection endpoint: its parent population and, for a view, which neurons."""
    parent = endpoint.parent
    if endpoint is parent:
        return f"population '{parent.label}'"
    return f"view of '{parent.label}' ({value_text(endpoint.parent_ids)})"


def first_difference(reference, items):
    """(where, reference value, this value) at the first item that differs, or None; the
    message reads "{where} {value} on rank r, {reference value} on rank 0"."""
    for k in range(max(len(reference), len(items))):
        ref = tuple(reference[k]) if k < len(reference) else None
        mine = tuple(items[k]) if k < len(items) else None
        if ref == mine:
            continue
        if ref is None:
            return (f"{mine[0]} {mine[1]} is", "absent", "present")
        if mine is None:
            return (f"{ref[0]} {ref[1]} is", "present", "absent")
        if ref[0] != mine[0] or ref[1] != mine[1]:
            return (f"declared setting #{k} is", f"{ref[0]} {ref[1]}", f"{mine[0]} {mine[1]}")
        return (f"{mine[0]}: {mine[1]}", ref[2], mine[2])
    return None
