"""Live I/O's host-side parts for the compiled tick loop: the C library's sendto and recv
as first-class functions, and a tag's address as the struct sockaddr_in sendto takes (the
compiled parts: spinn.kernels.live)."""

import ctypes
import functools
import socket
import sys

import numpy as np

from spinn.kernels.handles import CFunction
from spinn.kernels.live import RECV, SENDTO, SOCKADDR_BYTES

COMPILED_SEND = sys.platform.startswith("linux")   # sockaddr_in as Linux lays it out


@functools.cache
def recv_function():
    """The C library's recv as a first-class function for compiled code."""
    return CFunction(ctypes.cast(ctypes.CDLL(None).recv, ctypes.c_void_p).value, RECV)


@functools.cache
def sendto_function():
    """The C library's sendto as a first-class function for compiled code."""
    return CFunction(ctypes.cast(ctypes.CDLL(None).sendto, ctypes.c_void_p).value, SENDTO)


def sockaddr_in(host, port):
    """uint8[16]: struct sockaddr_in of (host, port) as Linux lays it out (family in host
    byte order, port and address in network order, eight zero bytes)."""
    a = np.zeros(SOCKADDR_BYTES, np.uint8)
    a[0:2] = np.frombuffer(np.uint16(socket.AF_INET).tobytes(), np.uint8)
    a[2:4] = np.frombuffer(int(port).to_bytes(2, "big"), np.uint8)
    a[4:8] = np.frombuffer(socket.inet_aton(socket.gethostbyname(host)), np.uint8)
    return a
