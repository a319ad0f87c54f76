"""spinn.runtime.companion: while a real-time run's compiled calls run, a signal sets the
call's stop slot (woken through signal.set_wakeup_fd) and its Python handler waits for the
loop's safe point; everything is put back afterwards."""

import os
import signal
import time

import numpy as np
import pytest

from spinn.runtime.companion import STOP_SLOT, Companion


def test_a_signal_stops_the_call_and_its_handler_waits_for_deliver():
    pace = np.zeros(12)
    c = Companion(pace)
    c.enter()
    try:
        os.kill(os.getpid(), signal.SIGINT)       # noted, not raised
        deadline = time.monotonic() + 5.0
        while pace[STOP_SLOT] == 0.0 and time.monotonic() < deadline:
            time.sleep(0.001)
        assert pace[STOP_SLOT] == 1.0
        assert c.pending == [signal.SIGINT]
        with pytest.raises(KeyboardInterrupt):    # Python's own handler, at the safe point
            c.deliver()
        assert c.pending == []
    finally:
        c.leave()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.set_wakeup_fd(-1) == -1
    assert c.thread is None


def test_an_inactive_companion_changes_nothing():
    pace = np.zeros(12)
    before = signal.getsignal(signal.SIGINT)
    c = Companion(pace, active=False)
    c.enter()
    assert signal.getsignal(signal.SIGINT) is before and c.thread is None
    c.deliver()
    c.leave()
