"""The notification protocol: "database ready" to each listener, its acknowledgement, then
start/resume and, at the end of the run, stop/pause (as SpiNNFrontEndCommon's
NotificationProtocol; the listeners are sPyNNaker's DatabaseConnection and its subclasses).

Run by rank 0 only.  Each listener is (notify host, notify port, ack port): the toolchain
sends from a socket bound to the ack port (any free port when None) and the listener answers
to where the notification came from.
"""

import selectors
import socket
import time

from spinn.errors import ConfigurationError, SimulationError
from spinn.live import protocol as wire

ACK_TIMEOUT_S = 10.0      # sPyNNaker's wait_on_confirmation_timeout


class Notifier:
    """Rank 0's end of the handshake with every listener."""

    def __init__(self, listeners, bind_host="127.0.0.1"):
        self.listeners = list(dict.fromkeys(listeners))
        self.sockets = []
        for host, port, ack in self.listeners:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s.bind((bind_host, ack or 0))
            except OSError as exc:
                s.close()
                self.close()
                raise ConfigurationError(
                    f"live I/O: cannot listen for the database acknowledgement on "
                    f"{bind_host}:{ack} ({exc.strerror}); another program holds that port: "
                    f"give another database_ack_port_num or stop that program") from None
            s.connect((host, port))
            self.sockets.append(s)

    def database_ready(self, path, timeout_s=ACK_TIMEOUT_S, serve=None):
        """Send "database ready" with the database's path to every listener and wait for
        each acknowledgement; serve() is called while waiting (the board answering the
        listeners' IP-tag requests).  Raises SimulationError naming the listener that did
        not answer within timeout_s."""
        message = wire.command(wire.CMD_DATABASE, path.encode())
        if len(message) > wire.MAX_PACKET:
            raise ConfigurationError(
                f"live I/O: the database path {path!r} is {len(path)} bytes; a notification "
                f"packet holds at most {wire.MAX_PACKET - 2}: use a shorter output directory")
        waiting, refused = {}, set()
        sel = selectors.DefaultSelector()
        for s, who in zip(self.sockets, self.listeners):
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, who)
            waiting[s] = who
        deadline = time.monotonic() + timeout_s
        resend = 0.0
        try:
            while waiting:
                now = time.monotonic()
                if now >= deadline:
                    s = next(iter(waiting))
                    raise self._not_answering(
                        waiting[s], "nothing listens there (connection refused)"
                        if s in refused else f"no acknowledgement within {timeout_s:g} s")
                if now >= resend:      # a listener that is not up yet: try again
                    for s in list(waiting):
                        if s in refused or resend == 0.0:
                            refused.discard(s)
                            try:
                                s.send(message)
                            except OSError:
                                refused.add(s)
                    resend = now + 0.2
                for key, _ in sel.select(min(deadline - now, 0.01)):
                    s = key.fileobj
                    try:
                        data = s.recv(2048)
                    except ConnectionRefusedError:
                        refused.add(s)
                        continue
                    except OSError:
                        continue
                    try:
                        code, _ = wire.read_command(data)
                    except wire.BadPacket:
                        continue
                    if code == wire.CMD_DATABASE and s in waiting:
                        del waiting[s]
                        sel.unregister(s)
                if serve is not None:
                    serve()
        finally:
            sel.close()
            for s in self.sockets:
                s.setblocking(True)

    @staticmethod
    def _not_answering(who, why):
        host, port, _ = who
        return SimulationError(
            f"live I/O: the listener at {host}:{port} did not acknowledge the database "
            f"({why}); start the client (e.g. SpynnakerLiveSpikesConnection(local_port="
            f"{port})) before run(), or create the live population with notify=False")

    def start(self):
        self._send_all(wire.command(wire.CMD_START_RESUME))

    def stop(self):
        self._send_all(wire.command(wire.CMD_STOP_PAUSE))

    def _send_all(self, message):
        for s in self.sockets:
            try:
                s.send(message)
            except OSError:      # a listener gone away is not the run's problem
                pass

    def close(self):
        for s in self.sockets:
            s.close()
        self.sockets = []
