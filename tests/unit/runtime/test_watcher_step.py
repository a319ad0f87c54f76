"""The rank watcher's last completed step when a rank dies during a real-time call that
may be the whole run (spinn.runtime.watcher.STATUS_WORDS): reckoned from the call's start
and its pace, as the run follows the wall clock."""

import json
import os
import time

import numpy as np

from spinn.runtime import watcher


def test_the_step_of_a_rank_lost_inside_a_paced_call_follows_its_clock(tmp_path):
    status = tmp_path / "spinn-status-1"
    status.mkdir()
    (status / "rank-0.json").write_text(json.dumps({"pid": 1, "host": "h", "spool": "s"}))
    words = np.memmap(status / "rank-0.step", np.int64, mode="w+", shape=(4,))
    # a call from step 100 to 10**6, started 2 s ago, 0.1 ms (100 000 ns) per step
    words[:] = (100, time.time_ns() - 2_000_000_000, 100_000, 10**6)
    words.flush()
    r, w = os.pipe()
    os.close(w)                                   # the rank is gone without "bye"
    assert watcher.main(str(status), 0, r, 0.1) == 0
    step = json.loads((status / "dead-0.json").read_text())["step"]
    assert 100 + 20_000 <= step <= 100 + 20_000 + 10_000, step   # 2 s (+ < 1 s) of steps
    assert "ended at t = 2" in (status / "LOST").read_text()


def test_outside_a_paced_call_the_step_is_the_last_one_written(tmp_path):
    status = tmp_path / "spinn-status-2"
    status.mkdir()
    words = np.memmap(status / "rank-0.step", np.int64, mode="w+", shape=(4,))
    words[:] = (700, 0, 0, 0)
    words.flush()
    r, w = os.pipe()
    os.close(w)
    watcher.main(str(status), 0, r, 0.1)
    assert json.loads((status / "dead-0.json").read_text())["step"] == 700
    assert "ended at t = 70 ms" in (status / "LOST").read_text()
