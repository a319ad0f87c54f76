"""Spike-timing-dependent plasticity: pair rule with additive or multiplicative weights.

Semantics (PyNN's STDPMechanism on NEST's stdp_synapse, with w_min added):

- all-to-all pairing through traces: the pre trace K+ jumps by 1 at each pre spike and decays
  with tau_plus; the post trace K- jumps by 1 at each post spike and decays with tau_minus;
- the synaptic delay d is dendritic: a post spike at t_post is seen by the synapse at
  t_post + d, so a pair's Δt = t_post + d − t_pre;
- updates are applied when a pre spike is processed (deferred, event-driven, as NEST and
  SpiNNaker do).  At a pre spike at t_pre, with the previous pre spike at t_last:
    1. facilitation, for every post spike with t_last < t_post + d ≤ t_pre, oldest first:
       w ← facilitate(w, K+(t_last) · exp(−(t_post + d − t_last)/tau_plus))
    2. depression: w ← depress(w, K−(t_pre − d)), K− counting post spikes strictly before
       t_pre − d
    3. the spike is transmitted with the updated w
    4. K+ ← K+ · exp(−(t_pre − t_last)/tau_plus) + 1
- additive:        facilitate = w + A_plus·w_max·k,      depress = w − A_minus·w_max·k
  multiplicative:  facilitate = w + A_plus·(w_max − w)·k, depress = w − A_minus·(w − w_min)·k
  Gütig (power law, NEST's stdp_synapse with mu_plus/mu_minus):
                   facilitate = w + A_plus·w_max·((w_max − w)/w_max)^mu_plus·k,
                   depress    = w − A_minus·w_max·((w − w_min)/w_max)^mu_minus·k
  (mu = 0 is additive and mu = 1 multiplicative, computed as those are), and w is clipped to
  [w_min, w_max] after every step.

Post spikes are kept per neuron in a ring of HISTORY entries (spike step and the K− value just
after it, per distinct tau_minus).  A facilitation that needs a post spike already pushed out
of the ring (one whose factor exp(−(t_post + d − t_last)/tau_plus) would exceed e^−15) is
counted (provenance: stdp_history_overflows), never silent; so is a depression whose trace
value left the ring.
"""

import math

import numpy as np
from numba import njit

from spinn.dynamics.base import Param, check_value
from spinn.errors import ConfigurationError, number
from spinn.kernels.packets import packet_count, packet_key, packet_step

HISTORY = 128  # post spikes kept per plastic target: 2 KiB per neuron with one tau_minus


class _Declared:
    """A component with declared parameters (PyNN names), checked on construction."""

    parameters: dict = {}

    def __init__(self, **params):
        unknown = sorted(set(params) - set(self.parameters))
        if unknown:
            raise ConfigurationError(
                f"{type(self).__name__}: unknown parameter {', '.join(map(repr, unknown))}; "
                f"valid parameters: {', '.join(self.parameters)}")
        self.values = {k: number(params.get(k, p.default), type(self).__name__, k, p.unit,
                                 example=p.default)
                       for k, p in self.parameters.items()}
        for k, v in self.values.items():
            check_value(type(self).__name__, k, v, self.parameters[k], 1)

    def __getattr__(self, name):
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    def describe(self):
        return {"type": type(self).__name__, **self.values}


class SpikePairRule(_Declared):
    """Pair-based timing dependence (PyNN): a pre spike after a post one depresses by
    A_minus·k_minus, a post spike after a pre one potentiates by A_plus·k_plus, with traces
    decaying by tau_plus and tau_minus (ms); all pairs (NEST's stdp_synapse)."""

    parameters = {
        "tau_plus": Param(20.0, "ms", 0.0, low_open=True),
        "tau_minus": Param(20.0, "ms", 0.0, low_open=True),
        "A_plus": Param(0.01, "", 0.0),
        "A_minus": Param(0.01, "", 0.0),
    }


class AdditiveWeightDependence(_Declared):
    """Weight changes independent of the weight, clipped to [w_min, w_max] (PyNN):
    facilitate w + A_plus·w_max·k, depress w − A_minus·w_max·k.  Weights in the
    postsynaptic cell type's units."""

    multiplicative = False
    parameters = {"w_min": Param(0.0, "", 0.0), "w_max": Param(1.0, "", 0.0)}

    def __init__(self, **params):
        super().__init__(**params)
        if self.w_min > self.w_max:
            raise ConfigurationError(
                f"{type(self).__name__}: w_min {self.w_min:g} > w_max {self.w_max:g}; "
                f"swap them")


class MultiplicativeWeightDependence(AdditiveWeightDependence):
    """Soft bounds (PyNN): facilitate w + A_plus·(w_max − w)·k, depress
    w − A_minus·(w − w_min)·k."""

    multiplicative = True


class GutigWeightDependence(AdditiveWeightDependence):
    """Power-law soft bounds (PyNN; NEST's stdp_synapse with mu_plus, mu_minus): facilitate
    w + A_plus·w_max·((w_max − w)/w_max)^mu_plus·k, depress
    w − A_minus·w_max·((w − w_min)/w_max)^mu_minus·k.  mu = 0: additive, 1: multiplicative."""

    parameters = {"w_min": Param(0.0, "", 0.0), "w_max": Param(1.0, "", 0.0),
                  "mu_plus": Param(0.5, "", 0.0), "mu_minus": Param(0.5, "", 0.0)}

    @property
    def exponents(self):
        return float(self.mu_plus), float(self.mu_minus)


AdditiveWeightDependence.exponents = (0.0, 0.0)
MultiplicativeWeightDependence.exponents = (1.0, 1.0)


@njit(inline="always")
def _clip(w, w_min, w_max):
    return min(max(w, w_min), w_max)


@njit(inline="always")
def _facilitate(w, a_plus, w_max, mu, k):
    if mu == 0.0:
        return w + a_plus * w_max * k
    if mu == 1.0:
        return w + a_plus * (w_max - w) * k
    return w + a_plus * w_max * ((w_max - w) / w_max) ** mu * k


@njit(inline="always")
def _depress(w, a_minus, w_min, w_max, mu, k):
    if mu == 0.0:
        return w - a_minus * w_max * k
    if mu == 1.0:
        return w - a_minus * (w - w_min) * k
    return w - a_minus * w_max * ((w - w_min) / w_max) ** mu * k


@njit(cache=True, nogil=True)
def record_post_spikes(packets, n, tick_step0, index_bits, core_slot, known_base, hist_row,
                       tau_minus, dt, hist_t, hist_k, hist_n):
    """Append local spikes of neurons that are targets of plastic synapses to their history.

    core_slot, known_base: a local core's known-core number and its first rank-local index
    (spinn.runtime.build.RankCores); hist_row int64[n_local]: history row of each local neuron
    (-1: not a plastic target); hist_t int64[rows, H] spike times in steps (step + 1), hist_k
    float64[rows, H, R] K− just after each spike for each distinct tau_minus, hist_n int64[rows]
    spikes so far.
    """
    idx_mask = np.uint32((1 << index_bits) - 1)
    H = hist_t.shape[1]
    for i in range(n):
        p = packets[i]
        key = packet_key(p)
        core = np.int64(key >> np.uint32(index_bits))
        lid = hist_row[known_base[core_slot[core]] + np.int64(key & idx_mask)]
        if lid < 0:
            continue
        t = tick_step0 + packet_step(p) + 1
        c = hist_n[lid]
        slot = c % H
        for r in range(tau_minus.shape[0]):
            k = 0.0
            if c > 0:
                prev = (c - 1) % H
                k = hist_k[lid, prev, r] * math.exp(-(t - hist_t[lid, prev]) * dt / tau_minus[r])
            hist_k[lid, slot, r] = k + 1.0
        hist_t[lid, slot] = t
        hist_n[lid] = c + 1


@njit(cache=True, nogil=True)
def deliver_plastic(packets, n, tick_step0, stage_shift, index_bits, slot, mpt_lo, mpt_hi,
                    blk_post_base,
                    blk_row_base, row_ptr, syn_word, syn_weight, kplus, tlast, sign,
                    tau_plus, tau_minus, a_plus, a_minus, w_min, w_max, mu_plus, mu_minus,
                    rule_k, dt, hist_row, hist_t, hist_k, hist_n, ring, slot_mask):
    """Deliver packets through one plastic projection, updating weights first (see module).

    kplus float64[rows], tlast int64[rows] (pre spike time in steps, -1 before the first):
    per-row pre trace, indexed like row_ptr.  stage_shift: packets of a delay-extension stage
    present their emission step plus stage_shift and their rows hold delays minus
    stage_shift; the timing uses the real emission time and the full delay.
    mu_plus, mu_minus: the weight dependence's exponents (0 additive, 1 multiplicative).
    Returns (synaptic events, history overflows).
    """
    idx_mask = np.uint32((1 << index_bits) - 1)
    H = hist_t.shape[1]
    events = 0
    overflows = 0
    for i in range(n):
        p = packets[i]
        key = packet_key(p)
        k = slot[np.int64(key >> np.uint32(index_bits))]
        if k < 0:
            continue
        j = np.int64(key & idx_mask)
        s = tick_step0 + packet_step(p)          # presented emission step (slot arithmetic)
        t_pre = s - stage_shift + 1              # real spike time, in steps
        count = packet_count(p)
        for b in range(mpt_lo[k], mpt_hi[k]):
            base = blk_post_base[b]
            r = blk_row_base[b] + j
            t_last = tlast[r]
            k_last = kplus[r]
            q_hi = np.int64(row_ptr[r + 1])
            for q in range(np.int64(row_ptr[r]), q_hi):
                word = syn_word[q]
                tgt = base + np.int64(word & np.uint32(0xFFFF))
                rec = np.int64((word >> np.uint32(16)) & np.uint32(3))
                d_res = np.int64(word >> np.uint32(18))
                d = d_res + stage_shift                # the full (dendritic) delay
                w = syn_weight[q]
                h = hist_row[tgt]
                c = hist_n[h]
                oldest = c - H if c > H else 0
                # 1. facilitation: post spikes with t_last < t_post + d <= t_pre
                if t_last >= 0:
                    first = c
                    for e in range(c - 1, oldest - 1, -1):
                        if hist_t[h, e % H] + d <= t_last:
                            break
                        first = e
                    # post spikes pushed out of the ring lie before the oldest kept one; they
                    # matter unless their factor exp(-(t_post + d - t_last)/tau_plus) < e^-15
                    if first == oldest and c > H and hist_t[h, oldest % H] + d > t_last \
                            and (hist_t[h, oldest % H] + d - t_last) * dt < 15.0 * tau_plus:
                        overflows += 1
                    for e in range(first, c):
                        tp = hist_t[h, e % H] + d
                        if tp > t_pre:
                            break
                        kk = k_last * math.exp(-(tp - t_last) * dt / tau_plus)
                        w = _clip(_facilitate(w, a_plus, w_max, mu_plus, kk), w_min, w_max)
                # 2. depression with K-(t_pre - d), post spikes strictly before it
                found = False
                for e in range(c - 1, oldest - 1, -1):
                    te = hist_t[h, e % H]
                    if te + d < t_pre:
                        found = True
                        km = hist_k[h, e % H, rule_k] * math.exp(
                            -(t_pre - d - te) * dt / tau_minus)
                        w = _clip(_depress(w, a_minus, w_min, w_max, mu_minus, km), w_min,
                                  w_max)
                        break
                if not found and c > H:
                    overflows += 1
                syn_weight[q] = w
                # 3. transmit with the updated weight
                ring[(s + d_res) & slot_mask, rec, tgt] += sign * w * count
            events += (q_hi - np.int64(row_ptr[r])) * count
            # 4. pre trace
            if t_last >= 0:
                kplus[r] = k_last * math.exp(-(t_pre - t_last) * dt / tau_plus) + count
            else:
                kplus[r] = np.float64(count)
            tlast[r] = t_pre
    return events, overflows
