"""LiveIO's part in the compiled tick loop (spinn.runtime.fused.run_ticks): the live-input
and live-output arguments it is called with, and what it hands back — injected events for
the input log, packets and spikes sent for the counters.  A mixin of spinn.live.LiveIO,
whose state it reads (the board socket, injectors, tags, packing buffers)."""

import numpy as np

from spinn.kernels.live import FLUSH_MS, IN_BYTES, INJ_COLS, SOCKADDR_BYTES, idle_input, idle_output
from spinn.live.pack import COMPILED_SEND, recv_function, sendto_function, sockaddr_in


class CompiledLive:
    def compiled_ok(self):
        """Whether the compiled tick loop can carry this run's live I/O: on Linux (its
        struct sockaddr_in), everything but the replay of rate changes (applied at logged
        ticks).  Injections are taken inside the loop (compiled_input), anything else read
        at the tick boundary it returns at; run_forever on several ranks stops where the
        ranks' votes inside the call agree (spinn.kernels.agree).  The same on every rank
        (the network's declarations and the run's kind)."""
        rates = any(v.kind == "control" for v in self.inputs)
        return COMPILED_SEND and not (self.replay and rates)

    def compiled_input(self):
        """run_ticks' live-input arguments (spinn.kernels.live.take_injections): recv, this
        rank's board socket (-1: none), a datagram's buffer, the table of this rank's spike
        injectors (their cores, keys and sizes), their event arrays (each injector's own
        are views of them: _share_injector_events), each injector's per-neuron counts and
        touched neurons, the input log's rows and int64[4] counts (packets, events, events
        dropped; whose turn it is to read the socket: fused.run_ticks)."""
        if self.board is None or self.replay:
            return idle_input()
        if self.compiled_in is None:
            self.compiled_in = (recv_function(), np.int64(self.board.fileno()),
                                np.zeros(IN_BYTES, np.uint8), *self.injectors)
        return self.compiled_in

    def _share_injector_events(self):
        """The compiled loop's input state (spinn.kernels.live.take_injections, after
        the table): each spike injector of this rank gets event arrays that are views of
        shared ones, which the loop fills, and a cursor in a shared array."""
        rows, size, ev = [], 0, 0
        mine = [v for v in self.my_inputs.values() if v.kind == "inject"]
        room = [self.engine.groups[self.groups[v.pop]].ev_step.size for v in mine]
        steps = np.full(sum(room), np.iinfo(np.int64).max, np.int64)
        lids, counts = np.zeros(sum(room), np.int64), np.ones(sum(room), np.int64)
        cursors = np.zeros(len(mine), np.int64)
        for r, (v, n) in enumerate(zip(mine, room)):
            g = self.engine.groups[self.groups[v.pop]]
            g.ev_step, g.ev_lid, g.ev_count = steps[ev:ev + n], lids[ev:ev + n], \
                counts[ev:ev + n]
            g.cursor = cursors[r:r + 1]
            rows.append((v.x, v.y, v.p, v.key0, v.size, v.pop, size, ev))
            size += v.size
            ev += n
        return (np.array(rows, np.int64).reshape(-1, INJ_COLS), np.zeros(size, np.int64),
                np.zeros(size, np.int64), np.zeros(len(mine), np.int64), steps, lids, counts,
                cursors, np.zeros((max(1 << 16, 4 * size) if mine else 0, 4), np.int64),
                np.zeros(1, np.int64), np.zeros(4, np.int64))

    def add_compiled_input(self):
        """What the compiled calls took (compiled_input) into the input log and counters;
        the log's rows emptied."""
        if self.compiled_in is None:
            return
        log, log_n, counts = self.compiled_in[-3:]
        if not counts[0]:          # no packet taken: no log row, no event, nothing dropped
            return
        n = int(log_n[0])
        if n:
            rows = log[:n]
            cut = np.flatnonzero((rows[1:, 0] != rows[:-1, 0]) | (rows[1:, 1] != rows[:-1, 1]))
            for a, b in zip(np.r_[0, cut + 1], np.r_[cut + 1, n]):
                self.log.write(rows[a, 0], rows[a, 1], np.repeat(rows[a:b, 2], rows[a:b, 3]))
            log_n[0] = 0
        c = self.counters
        c["live_packets_received"] += int(counts[0])
        c["live_packets_taken_by_compiled_loop"] += int(counts[0])
        c["live_events_injected"] += int(counts[1])
        if counts[2]:
            why = "more than 65 535 events for one neuron in a tick"
            c["live_events_dropped"] += int(counts[2])
            self.drops[why] = self.drops.get(why, 0) + int(counts[2])
        counts[:3] = 0          # not [3]: whose turn it is to read the socket

    def compiled_output(self):
        """The live-output arguments of spinn.runtime.fused.run_ticks (spinn.kernels.live
        live_tick, flush_live): sendto, the socket, the live groups and their destinations
        (tags), whether each tag has an address, the addresses, the steps between sends, the
        gathering arrays, the packing buffers and int64[3] counts (packets sent, send
        errors, spikes: summed over calls until add_compiled_counts).  Asked for before each
        compiled call, and made again when a client has reprogrammed a tag meanwhile (each
        call leaves the gathering arrays empty: flush_live)."""
        if not self.out_groups or self.replay:
            if self._out_made is None:
                self._out_made = (None, None, idle_output())
            return self._out_made[2]
        groups, tags = self.out_gi, self.out_tags
        sender = getattr(self, "sender", None)       # made at the run's start
        where_all = (sender, *(self.tags.get(tag) for tag in tags))
        made = self._out_made
        if made is not None and made[0] == where_all and made[1] is self.pack_buffers:
            return made[2]
        on = np.zeros(len(tags), np.bool_)
        addr = np.zeros((len(tags), SOCKADDR_BYTES), np.uint8)
        for d, where in enumerate(where_all[1:]):
            if where is not None and where not in self.addresses:
                try:
                    self.addresses[where] = sockaddr_in(*where)
                except OSError:                 # a host name that does not resolve
                    self.addresses[where] = None
            if where is not None and self.addresses[where] is not None:
                on[d] = True
                addr[d] = self.addresses[where]
        fd = np.int64(sender.fileno() if sender is not None else -1)
        if self.acc is None:     # each destination's room for FLUSH_MS and a tick of spikes
            flush = max(1, int(np.ceil(FLUSH_MS / self.net.dt - 1e-9)))
            steps = flush + self.plan.tick_steps
            n = [sum(self.engine.groups[gi].n for gi, o in self.out_groups if o.tag == t)
                 for t in self.out_tags]
            self.region = np.concatenate([[0], np.cumsum([m * steps for m in n])]).astype(
                np.int64)
            self.acc = np.zeros(int(self.region[-1]), np.uint64)
            self.flush_steps = flush
            self.out_counts = np.zeros(3, np.int64)
        buf, offs, first = self.pack_buffers
        args = (sendto_function(), fd, groups, self.out_dest_lo, on, addr,
                np.int64(self.flush_steps), self.acc, self.region,
                np.zeros(len(tags), np.int64), np.full(1, -1, np.int64), buf, offs, first,
                self.out_counts)
        self._out_made = (where_all, self.pack_buffers, args)
        return args

    def add_compiled_counts(self, counts):
        """The compiled calls' live-output counts (compiled_output's) into the run's
        counters, and emptied."""
        c = self.counters
        c["live_packets_sent"] += int(counts[0])
        c["live_send_errors"] += int(counts[1])
        c["live_spikes_sent"] += int(counts[2])
        counts[:] = 0
