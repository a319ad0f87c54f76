"""The database a live client reads (sPyNNaker's DatabaseReader): written by rank 0 before
each run, from the plan's global part (a few bytes per core) and the live populations.

Tables, named and shaped as the reader queries them: ``configuration_parameters``
(runtime in ms, machine_time_step in µs), ``label_event_atom_view`` (label → 32-bit event
key → atom id, for every live-output and live-input population), ``app_output_tag_view``
(each live-output population's IP tag: host, port, strip_sdp, the board it leaves from, tag
and chip), ``application_vertex_placements`` (chip x, y and core p of each live-input
population), ``chip_eth_info`` (the address each chip is reached at) and an empty
``proxy_configuration`` (no spalloc proxy: the client talks to the board addresses).
"""

import os
import sqlite3

import numpy as np

SCHEMA = """
CREATE TABLE configuration_parameters (parameter_id TEXT PRIMARY KEY, value REAL);
CREATE TABLE label_event_atom_view (label TEXT, event INTEGER, atom INTEGER);
CREATE INDEX label_event_atom_label ON label_event_atom_view (label);
CREATE TABLE app_output_tag_view (
    pre_vertex_label TEXT, post_vertex_label TEXT, ip_address TEXT, port INTEGER,
    strip_sdp INTEGER, board_address TEXT, tag INTEGER, chip_x INTEGER, chip_y INTEGER);
CREATE TABLE application_vertex_placements (vertex_label TEXT, x INTEGER, y INTEGER,
                                            p INTEGER);
CREATE TABLE chip_eth_info (x INTEGER, y INTEGER, eth_ip_address TEXT);
CREATE TABLE proxy_configuration (kind TEXT, name TEXT, value TEXT);
"""


def event_keys(plan, pop_index):
    """uint32[size]: the 32-bit key of each neuron of a population (its core's key + its
    index in the core)."""
    size, npc = plan.pop_sizes[pop_index], plan.pop_npc[pop_index]
    atoms = np.arange(size, dtype=np.int64)
    cores = plan.pop_first_core[pop_index] + atoms // npc
    return (plan.core_key(cores).astype(np.int64) + atoms % npc).astype(np.uint32)


def write(path, plan, live, runtime_ms):
    """Write the database for this run (atomically: a temporary file, then rename)."""
    tmp = f"{path}.tmp{os.getpid()}"
    if os.path.exists(tmp):
        os.remove(tmp)
    db = sqlite3.connect(tmp)
    try:
        db.executescript(SCHEMA)
        db.executemany("INSERT INTO configuration_parameters VALUES (?, ?)",
                       [("runtime", float(runtime_ms)),
                        ("machine_time_step", plan.dt * 1000.0)])
        for label, pop_index in live.keyed_labels():
            keys = event_keys(plan, pop_index)
            db.executemany("INSERT INTO label_event_atom_view VALUES (?, ?, ?)",
                           ((label, int(k), i) for i, k in enumerate(keys)))
        for out in live.outputs:
            db.execute("INSERT INTO app_output_tag_view VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (out.label, out.gatherer, out.host, out.port, 1,
                        live.board_address(0), out.tag, 0, 0))
        chips = {0}
        for v in live.inputs:
            db.execute("INSERT INTO application_vertex_placements VALUES (?, ?, ?, ?)",
                       (v.label, v.x, v.y, v.p))
            chips.add(v.rank)
        db.executemany("INSERT INTO chip_eth_info VALUES (?, ?, ?)",
                       ((r & 0xFF, r >> 8, live.board_address(r)) for r in sorted(chips)))
        db.commit()
    finally:
        db.close()
    os.replace(tmp, path)
    return path
