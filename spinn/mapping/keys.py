"""Multicast keys: key = core_id << index_bits | neuron index inside the core.

Fixed-width fields for every core (as SpiNNaker's allocator does) so that the cores of one
population occupy a contiguous, aligned key range and routing tables compress well.  A key is
derived from its core id, so no table of keys over the network is held anywhere.
"""

import numpy as np

from spinn.errors import ConfigurationError


def index_bits_for(n_cores, biggest):
    """Neuron-index bits for cores of at most ``biggest`` neurons; checks the core bits."""
    index_bits = max(1, int(np.ceil(np.log2(max(int(biggest), 2)))))
    core_bits = 32 - index_bits
    if n_cores > (1 << core_bits):
        raise ConfigurationError(
            f"mapping: {n_cores} cores need more than the {core_bits} key bits left beside "
            f"{index_bits} neuron bits; use fewer, larger cores (neurons_per_core)")
    return index_bits


def allocate_keys(core_sizes):
    """(index_bits, keys uint32[n_cores], masks uint32[n_cores]) for cores of these sizes."""
    n_cores = int(core_sizes.size)
    index_bits = index_bits_for(n_cores, core_sizes.max() if n_cores else 1)
    keys = (np.arange(n_cores, dtype=np.uint64) << np.uint64(index_bits)).astype(np.uint32)
    mask = np.uint32((0xFFFFFFFF << index_bits) & 0xFFFFFFFF)
    return index_bits, keys, np.full(n_cores, mask, np.uint32)
