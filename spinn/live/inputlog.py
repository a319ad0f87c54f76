"""The input log: every live event applied, as (step, population, neuron ids), and every
live rate change, as (step, population, source ids, Hz), one msgpack
stream per rank that owns a live input (``input-rank-RRRRR.log`` in the log directory).
The first record names the network (its description, the same list setup and the
populations give on every rank), so that ``spinn replay`` refuses another network, naming
the first difference.  Written as the run goes (flushed at least once a second and at the
end of every run): a run that dies keeps what it applied up to the last flush.  A run
restored from a checkpoint continues the logs it finds (trim_logs drops what they hold from
the restored step on), so a replay from t = 0 feeds the whole history, on any rank counts.
"""

import glob
import os
import time

import msgpack
import numpy as np

from spinn.errors import ConfigurationError
from spinn.model.describe import first_difference

FORMAT, VERSION = "spinn-live-input", 1


class InputLog:
    def __init__(self, path, net, plan, append=False):
        """append: continue the log at ``path`` (a run restored from a checkpoint, after
        trim_logs), or begin it if there is none."""
        self.path = path
        if append and _ours(path, net):
            self.f = open(path, "ab")
        else:
            self.f = open(path, "wb")
            self.f.write(msgpack.packb(_header(net, plan)))
        self.last_flush = time.monotonic()
        self.events = 0

    def write(self, step, pop, ids):
        self.f.write(msgpack.packb([int(step), int(pop), np.asarray(ids, np.int64).tolist()]))
        self.events += len(ids)
        now = time.monotonic()
        if now - self.last_flush >= 1.0:
            self.flush()
            self.last_flush = now

    def write_rates(self, step, pop, ids, hz):
        self.f.write(msgpack.packb([int(step), int(pop), np.asarray(ids, np.int64).tolist(),
                                    np.asarray(hz, np.float64).tolist()]))

    def flush(self):
        self.f.flush()

    def sync(self):
        """On disk (a checkpoint: what it carries the effect of is logged)."""
        self.f.flush()
        os.fsync(self.f.fileno())

    def close(self):
        self.f.close()


def _header(net, plan):
    return {"format": FORMAT, "version": VERSION, "dt": net.dt, "rank": plan.rank,
            "ranks": plan.n_ranks, "network": [list(x) for x in net.description()]}


def _ours(path, net):
    """Whether ``path`` is an input log of this network (its header's)."""
    try:
        with open(path, "rb") as f:
            head = next(msgpack.Unpacker(f, raw=False, strict_map_key=False))
    except (OSError, StopIteration, ValueError, msgpack.ExtraData):
        return False
    return isinstance(head, dict) and head.get("format") == FORMAT and \
        head.get("version") == VERSION and head.get("network") == [
            list(x) for x in net.description()]


def trim_logs(directory, step, net):
    """Keep what every input log of this network in ``directory`` holds before ``step``
    (the step a run is restored at; 0, a new run: none): the records after it were applied
    by a run that went on past the checkpoint, and are not the restored run's history.
    Each file is rewritten whole and renamed onto itself; a record cut short (a run that
    died writing it) goes too.  Another network's logs are left alone at a restore and
    removed at a new run's start (they would be merged into its replay)."""
    for path in sorted(glob.glob(os.path.join(directory, "input-rank-*.log"))):
        if step == 0 or not _ours(path, net):
            if step == 0:
                os.remove(path)
            continue
        with open(path, "rb") as f:
            unpacker = msgpack.Unpacker(f, raw=False, strict_map_key=False)
            try:
                head = next(unpacker)
            except (StopIteration, ValueError, msgpack.ExtraData):
                continue        # not a log: read_logs will say so if it is replayed
            kept = [msgpack.packb(head)]
            try:
                for rec in unpacker:
                    if isinstance(rec, list) and rec and rec[0] < step:
                        kept.append(msgpack.packb(rec))
            except (ValueError, TypeError, msgpack.ExtraData):
                pass
        tmp = path + ".trim"
        with open(tmp, "wb") as f:
            f.write(b"".join(kept))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


def read_logs(directory, net, plan):
    """({population index: (steps int64[], ids int64[])}, [(step, population, ids, Hz)]):
    the injected events and the rate changes in every rank's log in directory, after
    checking that they were written by this network."""
    paths = sorted(glob.glob(os.path.join(directory, "input-rank-*.log")))
    if not paths:
        raise ConfigurationError(
            f"spinn replay: no input log (input-rank-*.log) in {directory}; give the "
            f"live_input directory a live run wrote")
    mine = [list(x) for x in net.description()]
    out, rates = {}, []
    for path in paths:
        with open(path, "rb") as f:
            unpacker = msgpack.Unpacker(f, raw=False, strict_map_key=False)
            try:
                head = next(unpacker)
            except (StopIteration, ValueError, msgpack.ExtraData) as exc:
                raise ConfigurationError(f"spinn replay: {path} is not an input log "
                                         f"({type(exc).__name__})") from None
            if not isinstance(head, dict) or head.get("format") != FORMAT:
                raise ConfigurationError(f"spinn replay: {path} is not a spinn input log")
            if head.get("version") != VERSION:
                raise ConfigurationError(
                    f"spinn replay: {path} has format version {head.get('version')}; this "
                    f"spinn reads version {VERSION}")
            diff = first_difference(head["network"], mine)
            if diff is not None:
                where, theirs, ours = diff
                raise ConfigurationError(
                    f"spinn replay: {path} was written by another network: {where} "
                    f"{theirs} in the log, {ours} here; replay the script (and arguments, "
                    f"seed included) that made the log")
            try:
                for rec in unpacker:
                    if len(rec) == 4:
                        rates.append((rec[0], rec[1], np.asarray(rec[2], np.int64),
                                      np.asarray(rec[3], np.float64)))
                        continue
                    step, pop, ids = rec
                    s, i = out.setdefault(pop, ([], []))
                    s.append(np.full(len(ids), step, np.int64))
                    i.append(np.asarray(ids, np.int64))
            except (ValueError, TypeError, msgpack.ExtraData):
                pass      # a run that died mid-record: what was flushed before it stands
    return {p: (np.concatenate(s), np.concatenate(i)) for p, (s, i) in out.items()}, rates
