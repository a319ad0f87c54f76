"""Live I/O: spinn plays the host-visible parts of a SpiNNaker board and its toolchain, so
that sPyNNaker's host tools (``SpynnakerLiveSpikesConnection`` …) talk to a spinn job as to
a board.  The declarations are spinn.external_devices; the formats spinn.live.protocol; the
database spinn.live.database; the handshake spinn.live.notify.

Per run: rank 0 writes the database and runs the handshake (database ready → every
listener's acknowledgement, while answering their IP-tag requests → start/resume), then
broadcasts the live-output tags; at every tick boundary each rank drains its board socket
(injected events become spikes of the injector in the next tick's first step, written to
the input log) — the compiled tick loop takes injection packets itself
(spinn.kernels.live.take_injections) and returns for the rest (IP-tag requests, rate
control, bad packets), the per-tick loop reads them all in Python; each rank sends the
spikes of its own cores of live-output populations, a tag's populations in shared packets,
straight to the tagged address; at the end, rank 0 sends stop/pause.

Addresses: the board of rank r is reached at the live address + r (default 127.0.0.1, so
rank 0 is 127.0.0.1, rank 1 127.0.0.2 …) on SpiNNaker's SCP port 17893; only the ranks that
own a live input's core, and rank 0 when there is live output, open one.  Chips are ranks:
chip (r & 255, r >> 8); a live input's core is p = 1, 2 … in declaration order on its rank.
"""

import ipaddress
import os
import socket
import sys
from dataclasses import dataclass

import numpy as np

from spinn.errors import ConfigurationError
from spinn.kernels.live import empty_buffers, pack_live
from spinn.live import database, notify
from spinn.live import protocol as wire
from spinn.live.compiled import CompiledLive
from spinn.live.inputlog import InputLog, read_logs, trim_logs
from spinn.runtime.everywhere import raise_everywhere

_SO_RXQ_OVFL = getattr(socket, "SO_RXQ_OVFL", 40)   # Linux: count what a full queue dropped

DEFAULT_ADDRESS = "127.0.0.1"


@dataclass(eq=False)
class Input:
    """A live-input vertex (one core): a SpikeInjector population, or the control of a
    Poisson population's rates (kind "control", label "<population><extension>")."""
    label: str
    pop: int
    core: int
    rank: int
    p: int
    key0: int
    size: int
    kind: str = "inject"

    @property
    def x(self):
        return self.rank & 0xFF

    @property
    def y(self):
        return self.rank >> 8


@dataclass(eq=False)
class Output:
    """A live-output population and the IP tag its spikes go to."""
    label: str
    pop: int
    host: str
    port: int
    tag: int
    gatherer: str


def declared(network):
    """Whether the network has live input or output."""
    return bool(getattr(network, "live_outputs", None)) or bool(
        getattr(network, "live_rate_controls", None)) or any(
        p.celltype.name == "SpikeInjector" for p in network.populations)


class LiveIO(CompiledLive):
    """This rank's live I/O (created at the build, on every rank); its arguments for the
    compiled tick loop and what that loop hands back: spinn.live.compiled."""

    def __init__(self, sim, engine):
        net, plan, comm = sim.network, sim.plan, sim.comm
        self.net, self.plan, self.comm, self.rank = net, plan, comm, comm.rank
        self.engine = engine
        self.address = ipaddress.IPv4Address(os.environ.get("SPINN_LIVE_ADDRESS") or getattr(
            net, "live_address", DEFAULT_ADDRESS))
        self.replay = os.environ.get("SPINN_REPLAY") or None
        self.inputs, on_rank, problem = [], {}, None
        controls = getattr(net, "live_rate_controls", {})
        for pop in net.populations:
            if pop.celltype.name != "SpikeInjector" and pop.index not in controls:
                continue
            core = int(plan.pop_first_core[pop.index])
            r = int(plan.core_rank[core])
            on_rank[r] = on_rank.get(r, 0) + 1
            if on_rank[r] > 31 and problem is None:
                problem = (f"live I/O: {pop}: more than 31 live-input populations on rank {r} "
                           f"(a chip has at most 31 addressable cores); use fewer, larger "
                           f"SpikeInjector populations")
            control = controls.get(pop.index)
            self.inputs.append(Input(control["label"] if control else pop.label, pop.index,
                                     core, r, on_rank[r], int(plan.core_key([core])[0]),
                                     pop.size, "control" if control else "inject"))
        tags = {}
        self.outputs = []
        for pop, req in getattr(net, "live_outputs", {}).items():
            where = (req["host"], req["port"])
            tag = tags.setdefault(where, len(tags) + 1)
            name = "LiveSpikeReceiver" if tag == 1 else f"LiveSpikeReceiver_{tag}"
            self.outputs.append(Output(net.populations[pop].label, pop, req["host"],
                                       req["port"], tag, name))
        self.listeners = list(dict.fromkeys(
            [p.celltype.listener for p in net.populations
             if p.celltype.name == "SpikeInjector" and p.celltype.listener is not None]
            + [req["listener"] for req in getattr(net, "live_outputs", {}).values()
               if req["listener"] is not None]
            + [c["listener"] for c in controls.values() if c["listener"] is not None]
            + list(getattr(net, "live_listeners", ()))))
        self.my_inputs = {(v.x, v.y, v.p): v for v in self.inputs if v.rank == self.rank}
        self.groups = {g.pop.index: i for i, g in enumerate(engine.groups)}
        # this rank's live-output groups by tag (stable): one packet stream per tag
        self.out_groups = sorted([(self.groups[o.pop], o) for o in self.outputs
                                  if o.pop in self.groups], key=lambda go: go[1].tag)
        self.out_gi = np.array([gi for gi, _ in self.out_groups], np.int64)
        self.out_tags = sorted({o.tag for _, o in self.out_groups})
        per_tag = [sum(o.tag == t for _, o in self.out_groups) for t in self.out_tags]
        self.out_dest_lo = np.concatenate([[0], np.cumsum(per_tag)]).astype(np.int64)
        self.pack_buffers = empty_buffers(len(self.out_tags))
        self.acc = None           # the compiled loop's gathered live output (compiled_output)
        self._out_made = None     # compiled_output's arguments, and what they were made for
        self.compiled_in = None   # the compiled loop's live-input arguments (compiled_input)
        self.addresses = {}       # (host, port) → its struct sockaddr_in, or None
        # the tags live output is sent to: the declared host and port until a client
        # reprograms the tag (its IP-tag request names itself as the sender)
        self.tags = {o.tag: (o.host, o.port) for o in self.outputs
                     if o.host not in ("0.0.0.0", "")}
        self.counters = {"live_events_injected": 0, "live_packets_received": 0,
                         "live_packets_dropped": 0, "live_events_dropped": 0,
                         "live_spikes_sent": 0, "live_packets_sent": 0,
                         "live_send_errors": 0, "live_iptag_requests": 0,
                         "live_packets_lost_by_os": 0,
                         "live_packets_taken_by_compiled_loop": 0}
        self.drops = {}           # why → count (bad packets, unknown keys, …)
        self.board = None
        self.notifier = None
        self.log = None
        self.forever = False
        self.stop_requested = False
        self.wake = None         # run_forever on one rank: stops the compiled call at once
        self.pending = {}        # input → list of population indices for the next tick
        self.pending_rates = {}  # control → list of (index, Hz) for the next tick
        self.replay_rates = []   # replay: [(step, pop, ids, Hz)] in step order
        self.counters["live_rate_changes"] = 0
        for v in self.inputs:
            if v.kind == "control" and v.pop in self.groups:
                _controllable(self.engine.groups[self.groups[v.pop]])
        if problem is None and not self.replay:
            problem = self._open_board()
        raise_everywhere(comm, problem)
        self.log_dir = self._log_dir(sim)
        self.injectors = self._share_injector_events() if not self.replay else None
        if self.replay:
            self._load_replay()
        self.log_opened = False   # at the first run's start (a restore may come before)

    # ---- addresses and sockets ---------------------------------------------------------
    def board_address(self, rank):
        return str(self.address + int(rank))

    def _open_board(self):
        """Bind this rank's board socket when it needs one; the problem, or None."""
        if not (self.my_inputs or (self.rank == 0 and self.outputs)):
            return None
        where = (self.board_address(self.rank), wire.SCAMP_PORT)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(where)
        except OSError as exc:
            s.close()
            return (f"live I/O: rank {self.rank} cannot be the board at {where[0]}:{where[1]} "
                    f"({exc.strerror}): another spinn job or SpiNNaker tool holds it; stop "
                    f"it, or give another address with spinn.external_devices."
                    f"set_live_address(\"127.0.0.2\") or $SPINN_LIVE_ADDRESS")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.os_drops = None           # the kernel's count of datagrams it dropped (Linux)
        try:
            s.setsockopt(socket.SOL_SOCKET, _SO_RXQ_OVFL, 1)
            self.os_drops = 0
        except OSError:
            pass
        s.setblocking(False)
        self.board = s
        return None

    def _log_dir(self, sim):
        if self.replay:
            return self.replay
        base = os.environ.get("SPINN_LIVE_LOG") or os.path.join(
            getattr(sim, "out_dir", None) or ".", "live_input")
        d = self.comm.bcast(os.path.abspath(base) if self.rank == 0 else None, root=0) \
            if self.comm.size > 1 else os.path.abspath(base)
        os.makedirs(d, exist_ok=True)
        return d

    def keyed_labels(self):
        """(label, population) of every population the database lists keys for."""
        return [(v.label, v.pop) for v in self.inputs] + [(o.label, o.pop) for o in self.outputs]

    # ---- a run -------------------------------------------------------------------------
    def start_run(self, n_steps, forever=False, stop=False):
        """Collective, before the clock starts: the handshake (rank 0), the tags to every
        rank, start/resume."""
        self.forever, self.stop_requested = forever, bool(stop)
        if self.replay:
            return
        if not self.log_opened:
            self._open_log()
        problem = None
        if self.rank == 0 and self.listeners:
            try:
                if self.notifier is None:
                    self.notifier = notify.Notifier(self.listeners)
                path = database.write(os.path.join(self.log_dir,
                                                   "input_output_database.sqlite3"),
                                      self.plan, self, 0.0 if forever
                                      else n_steps * self.plan.dt)
                timeout = float(os.environ.get("SPINN_LIVE_ACK_TIMEOUT_S")
                                or notify.ACK_TIMEOUT_S)
                self.notifier.database_ready(path, timeout, serve=self.serve_control)
            except Exception as exc:          # noqa: BLE001 — every rank raises it
                problem = str(exc)
        raise_everywhere(self.comm, problem, _error_class(problem))
        self.share_tags()
        self.sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM) \
            if self.out_groups and not hasattr(self, "sender") else getattr(self, "sender",
                                                                            None)
        if self.notifier is not None:
            self.notifier.start()

    def _open_log(self):
        """Collective, at the first run's start: this rank's input log.  A run restored
        from a checkpoint at step S continues the log of the job that wrote it: rank 0
        first drops what those logs hold from step S on (applied after the checkpoint, by
        a run that went on and died), then each rank appends; so the logs stay the one
        history a replay from t = 0 feeds (spinn.live.inputlog)."""
        step = int(self.engine.step)
        problem = None
        if self.rank == 0:   # a new history (step 0) starts with no other job's logs
            try:
                trim_logs(self.log_dir, step, self.net)
            except Exception as exc:        # noqa: BLE001 — every rank raises it
                problem = (f"live I/O: cannot continue the input log in {self.log_dir} "
                           f"({getattr(exc, 'strerror', None) or exc}); give another "
                           f"$SPINN_LIVE_LOG")
        raise_everywhere(self.comm, problem)
        if self.my_inputs:
            self.log = InputLog(os.path.join(self.log_dir, f"input-rank-{self.rank:05d}.log"),
                                self.net, self.plan, append=step > 0)
        self.log_opened = True

    def share_tags(self):
        """Collective: rank 0's tags (its board answers the clients' IP-tag requests) to
        every rank, whose live output then goes where they say."""
        if self.comm.size > 1:
            self.tags = self.comm.bcast(self.tags if self.rank == 0 else None, root=0)
        self.shared_tags = dict(self.tags)

    def tags_changed(self):
        """Whether a client reprogrammed a tag at this rank's board since the tags were
        last shared (rank 0's board is the one the database names for live output)."""
        return self.rank == 0 and self.tags != getattr(self, "shared_tags", None)

    def end_run(self):
        if self.board is not None and self.os_drops is not None:
            # the kernel's drops since the last datagram Python read (the compiled loop
            # reads without the ancillary count)
            total = _proc_drops(self.board)
            if total is not None and total > self.os_drops:
                self.counters["live_packets_lost_by_os"] += total - self.os_drops
                self.os_drops = total
        if self.log is not None:
            self.log.flush()
        if self.notifier is not None:
            self.notifier.stop()

    def serve_control(self):
        """While no tick runs (the handshake): answer IP-tag requests, keep injected events
        for the first tick."""
        self._drain()

    # ---- the tick ----------------------------------------------------------------------
    def before_update(self, t0, k, compiled=False):
        """At the tick boundary: the events received since the last one become spikes of
        their injectors in this tick's first step (t0), logged.  ``compiled``: before a
        compiled call, whose first tick takes the waiting injections itself — Python reads
        the socket only when the last call asked it to (a datagram for Python, or a full
        input log: compiled_input's counts[3] == 1) or holds events of its own, and then
        tells the call so (counts[3] = 2)."""
        if self.replay:
            while self.replay_rates and self.replay_rates[0][0] <= t0:
                _, pop, ids, hz = self.replay_rates.pop(0)
                self._set_rates(pop, ids, hz)
            return
        if compiled:
            turn = self.compiled_input()[-1]
            if turn[3] != 1 and self.compiled_in is not None and not self.pending and \
                    not self.pending_rates:
                return
            turn[3] = 2
        self._drain()
        for v, changes in self.pending_rates.items():
            ids = np.array([i for i, _ in changes], np.int64)
            hz = np.array([r for _, r in changes], np.float64)
            self._set_rates(v.pop, ids, hz)
            self.log.write_rates(t0, v.pop, ids, hz)
        self.pending_rates = {}
        for v, ids in self.pending.items():
            g = self.engine.groups[self.groups[v.pop]]
            n = len(ids)
            if n == 0:
                continue
            # one entry per neuron, its events as the spike count (as a replay merges them):
            # a tick emits at most one packet per neuron and step, whatever a client sends
            ids, counts = np.unique(np.asarray(ids, np.int64), return_counts=True)
            over = np.maximum(counts - 0xFFFF, 0)         # a packet counts ≤ 65 535 spikes
            counts -= over
            m = ids.size                                  # ≤ the injector's neurons
            g.ev_step[:m] = t0
            g.ev_lid[:m] = ids
            g.ev_count[:m] = counts
            g.ev_step[m] = np.iinfo(np.int64).max
            g.cursor[0] = 0
            lost = int(over.sum())
            if lost:
                why = "more than 65 535 events for one neuron in a tick"
                self.counters["live_events_dropped"] += lost
                self.drops[why] = self.drops.get(why, 0) + lost
            self.counters["live_events_injected"] += int(counts.sum())
            self.log.write(t0, v.pop, np.repeat(ids, counts))
        self.pending = {}

    def _set_rates(self, pop, ids, hz):
        """New rates (Hz) of a controlled Poisson population's sources, from this tick on
        (later changes of one source in the same tick win)."""
        g = self.engine.groups[self.groups[pop]]
        lam = hz * self.net.dt / 1000.0
        g.C[0][ids] = lam
        g.C[1][ids] = np.exp(-lam)
        self.counters["live_rate_changes"] += int(ids.size)

    def after_update(self, out, bounds, t0):
        """Live output: this rank's spikes of each live-output population, this tick, to
        its tag's address, in the fewest packets (spinn.kernels.live)."""
        if self.replay or not self.out_groups:
            return
        buf, offs, first = self.pack_buffers
        lo, hi = bounds[self.out_gi], bounds[self.out_gi + 1]
        n, spikes = pack_live(out, lo, hi, self.out_dest_lo, t0, buf, offs, first)
        if n < 0:
            self.pack_buffers = (np.zeros(2 * -n, np.uint8), np.zeros(-n // 2 + 64, np.int64),
                                 first)
            buf, offs, first = self.pack_buffers
            n, spikes = pack_live(out, lo, hi, self.out_dest_lo, t0, buf, offs, first)
        if n == 0:
            return
        view = memoryview(buf)
        c = self.counters
        for d, tag in enumerate(self.out_tags):
            where = self.tags.get(tag)
            if where is None:
                continue
            for i in range(first[d], first[d + 1]):
                try:
                    self.sender.sendto(view[offs[i]:offs[i + 1]], where)
                    c["live_packets_sent"] += 1
                except OSError:
                    c["live_send_errors"] += 1
        c["live_spikes_sent"] += int(spikes)

    def warm_up(self, out, bounds):
        """pack_live compiled (or loaded) for the per-tick loop's types before the clock
        starts; sends nothing."""
        buf, offs, first = self.pack_buffers
        e = np.zeros(0, np.int64)
        pack_live(out, e, e, np.zeros(1, np.int64), 0, buf, offs, first)

    def _drain(self):
        """Read every packet waiting at this rank's board socket."""
        s = self.board
        if s is None:
            return
        space = socket.CMSG_SPACE(4)
        while True:
            try:
                data, anc, _flags, sender = s.recvmsg(4096, space)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue
            self.counters["live_packets_received"] += 1
            for level, kind, value in anc:   # datagrams the socket's full queue lost so far
                if level == socket.SOL_SOCKET and kind == _SO_RXQ_OVFL and len(value) >= 4:
                    total = int.from_bytes(value[:4], sys.byteorder)
                    self.counters["live_packets_lost_by_os"] += total - self.os_drops
                    self.os_drops = total
            try:
                self._take(data, sender)
            except (wire.BadPacket, ValueError, KeyError, IndexError) as exc:
                self._drop(f"bad packet ({type(exc).__name__}: {str(exc)[:60]})")

    def _drop(self, why, n_events=0):
        self.counters["live_packets_dropped"] += 1
        self.counters["live_events_dropped"] += n_events
        key = why.split(":")[0] if why.startswith("bad packet") else why
        self.drops[key] = self.drops.get(key, 0) + 1

    def _take(self, data, sender):
        flags, cpu, port, x, y, payload = wire.read_sdp(data)
        if port == 0 and cpu == 0:                     # SCP to SCAMP
            cmd, seq, arg1, _arg2, arg3 = wire.read_scp(payload)
            if cmd != wire.SCP_IPTAG or (arg1 >> 16) & 0xFFF != wire.IPTAG_SET:
                return self._drop("SCP command other than IP-tag set")
            tag = arg1 & 0xFF
            if not any(o.tag == tag for o in self.outputs):
                return self._drop("IP tag that no live output uses")
            if (arg1 >> 30) & 1:       # use the sender's address
                self.tags[tag] = sender
            else:
                self.tags[tag] = (str(ipaddress.IPv4Address(arg3.to_bytes(4, "little"))),
                                  _arg2 & 0xFFFF)
            self.counters["live_iptag_requests"] += 1
            if flags & 0x80:           # a reply is expected
                self.board.sendto(wire.scp_ok(seq, x, y, tag), sender)
            return None
        v = self.my_inputs.get((x, y, cpu))
        if v is None:
            return self._drop("SDP to a core without live input")
        keys, payloads, _ = wire.read_data(payload)
        kind = payload[1] >> 2 & 3
        if v.kind == "control" and payloads is None:
            return self._drop("rate control without payloads")
        if kind in (wire.KEY_16, wire.KEY_PAYLOAD_16):
            ids = keys.astype(np.int64)
        else:
            ids = keys.astype(np.int64) - v.key0
        ok = (ids >= 0) & (ids < v.size)
        if not ok.all():
            self._drop("keys outside the injector's range", int((~ok).sum()))
            ids = ids[ok]
        if v.kind == "control":
            hz = payloads[ok].astype(np.float64) / 65536.0      # U16.16, as set_rates sends
            self.pending_rates.setdefault(v, []).extend(zip(ids.tolist(), hz.tolist()))
        elif ids.size:
            self.pending.setdefault(v, []).extend(ids.tolist())
        return None

    # ---- replay ------------------------------------------------------------------------
    def _load_replay(self):
        """The logged events of this rank's injectors, as their event arrays."""
        from spinn.dynamics.spike_injector import build_injector_events

        events, rates = read_logs(self.replay, self.net, self.plan)
        self.replay_rates = sorted((r for r in rates if r[1] in self.groups),
                                   key=lambda r: r[0])
        for pop, gi in self.groups.items():
            g = self.engine.groups[gi]
            if g.pop.celltype.name == "SpikeInjector":
                steps, ids = events.get(pop, (np.zeros(0, np.int64), np.zeros(0, np.int64)))
                build_injector_events(g, (steps, ids))

    # ---- run_forever -------------------------------------------------------------------
    def agreed_stop(self):
        """Collective: whether any rank was asked to stop."""
        flag = np.array([self.stop_requested], np.int64)
        if self.comm.size > 1:
            flag = self.comm.allreduce(flag, "max")
        return bool(flag[0])

    def report(self):
        """This rank's live counters (provenance) and why packets were dropped."""
        return {**self.counters, "live_drops": dict(self.drops)}

    def close(self):
        for s in (self.board, getattr(self, "sender", None)):
            if s is not None:
                s.close()
        self.board = self.sender = None
        if self.notifier is not None:
            self.notifier.close()
            self.notifier = None
        if self.log is not None:
            self.log.close()
            self.log = None


def _controllable(g):
    """A Poisson group whose rates a client sets: per-source λ and e^-λ arrays read by its
    kernel, and every count drawn directly (no shared tables to rebuild)."""
    g.pop.celltype.kernel_args(g)      # sets the direct-input arguments and tables once
    C = list(g.C)
    for row in (0, 1):
        C[row] = np.array(np.broadcast_to(C[row], g.n), np.float64)
    g.C = tuple(C)
    g.cdf_index = np.full(g.n, -1, np.int64)
    g.live_rates = True       # a checkpoint keeps the rates (spinn.runtime.checkpoint)


def _proc_drops(sock):
    """The kernel's count of datagrams it dropped at this UDP socket (Linux's
    /proc/net/udp, the counter SO_RXQ_OVFL reports), or None."""
    try:
        inode = os.fstat(sock.fileno()).st_ino
        with open("/proc/net/udp") as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                if int(parts[9]) == inode:
                    return int(parts[-1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _error_class(problem):
    from spinn.errors import SimulationError

    return SimulationError if problem and "did not acknowledge" in problem \
        else ConfigurationError


__all__ = ["LiveIO", "declared"]
