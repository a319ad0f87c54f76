"""SONATA configuration files: the simulation config, the circuit config it names, manifest
variables, node sets.

A config's ``manifest`` defines variables (``"$BASE_DIR": "."``, ``"$NETWORK_DIR":
"$BASE_DIR/network"``) that other strings use as ``$NAME`` or ``${NAME}``; ``${configdir}``
is the directory of the config file (bmtk's spelling).  Relative paths are relative to the
config file's directory, as the SONATA specification says.  The simulation config either
names its circuit (``"network": "circuit_config.json"``) or holds the circuit's
``networks``/``components`` sections itself (bmtk writes both kinds).
"""

import json
import os
import re

from spinn.errors import ConfigurationError

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def _read_json(path, what):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise ConfigurationError(f"SONATA: the {what} {path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"SONATA: the {what} {path} is not JSON: {exc}") from None


def _expander(manifest, config_dir, path):
    """A function that expands $VARs (from the manifest, resolved recursively) in a string."""
    raw = {k.lstrip("$").strip("{}"): str(v) for k, v in (manifest or {}).items()}
    raw.setdefault("configdir", config_dir)
    done = {}

    def value(name, seen=()):
        if name in done:
            return done[name]
        if name not in raw:
            raise ConfigurationError(
                f"SONATA: {path} uses ${name}, which its manifest does not define; add "
                f"\"${name}\" to the manifest")
        if name in seen:
            raise ConfigurationError(
                f"SONATA: {path}'s manifest variable ${name} refers to itself "
                f"({' → '.join(seen + (name,))})")
        done[name] = _VAR.sub(lambda m: value(m.group(1) or m.group(2), seen + (name,)),
                              raw[name])
        return done[name]

    return lambda s: _VAR.sub(lambda m: value(m.group(1) or m.group(2)), s)


def _expand(obj, expand):
    if isinstance(obj, str):
        return expand(obj)
    if isinstance(obj, dict):
        return {k: _expand(v, expand) for k, v in obj.items() if k != "manifest"}
    if isinstance(obj, list):
        return [_expand(v, expand) for v in obj]
    return obj


def load_json_config(path):
    """A config file with its manifest applied (the manifest itself removed)."""
    path = os.path.abspath(path)
    data = _read_json(path, "config file")
    if not isinstance(data, dict):
        raise ConfigurationError(f"SONATA: {path} holds {type(data).__name__}, not an object")
    config_dir = os.path.dirname(path)
    return _expand(data, _expander(data.get("manifest"), config_dir, path)), config_dir


def resolve(path, base):
    """A path from a config, relative to the config's directory."""
    return os.path.normpath(path if os.path.isabs(path) else os.path.join(base, path))


class SimulationConfig:
    """A SONATA simulation config and the circuit it runs.

    run          {"tstop": ms, "dt": ms, ...}
    networks     {"nodes": [{nodes_file, node_types_file}], "edges": [...]} (absolute paths)
    components   {"point_neuron_models_dir": ..., "synaptic_models_dir": ...}
    inputs       {name: {input_type, module, input_file, node_set, ...}}
    reports      {name: {cells | node_set, variable_name, module, ...}}
    output       {"output_dir": absolute path, "spikes_file": absolute path, ...}
    node_sets    {name: node set}
    """

    def __init__(self, path):
        self.path = os.path.abspath(path)
        sim, base = load_json_config(self.path)
        self.base = base
        circuit, cbase = sim, base
        net = sim.get("network")
        if isinstance(net, str):
            circuit, cbase = load_json_config(resolve(net, base))
        elif "networks" not in sim:
            raise ConfigurationError(
                f"SONATA: {self.path} names no circuit: give \"network\": "
                f"\"circuit_config.json\" or a \"networks\" section")
        self.circuit_base = cbase
        networks = circuit.get("networks") or {}
        self.networks = {
            "nodes": [{k: resolve(v, cbase) for k, v in entry.items()
                       if k in ("nodes_file", "node_types_file")}
                      for entry in networks.get("nodes", [])],
            "edges": [{k: resolve(v, cbase) for k, v in entry.items()
                       if k in ("edges_file", "edge_types_file")}
                      for entry in networks.get("edges", [])],
        }
        if not self.networks["nodes"]:
            raise ConfigurationError(f"SONATA: the circuit of {self.path} lists no nodes "
                                     f"(networks.nodes is empty)")
        for kind in ("nodes", "edges"):
            for entry in self.networks[kind]:
                for key in (f"{kind}_file", f"{kind[:-1]}_types_file"):
                    if key not in entry:
                        raise ConfigurationError(
                            f"SONATA: a networks.{kind} entry of {self.path} has no {key}")
                    if not os.path.isfile(entry[key]):
                        raise ConfigurationError(
                            f"SONATA: {key} {entry[key]} (networks.{kind} of the circuit) "
                            f"does not exist")
        self.components = {k: resolve(v, cbase) for k, v in
                           (circuit.get("components") or {}).items() if isinstance(v, str)}
        self.run = dict(sim.get("run") or {})
        for key in ("tstop", "dt"):
            if not isinstance(self.run.get(key), (int, float)) or not self.run[key] > 0:
                raise ConfigurationError(
                    f"SONATA: {self.path}: run.{key} = {self.run.get(key)!r}; give a number "
                    f"of ms > 0 (e.g. \"run\": {{\"tstop\": 1000.0, \"dt\": 0.1}})")
        self.inputs = {}
        for name, inp in (sim.get("inputs") or {}).items():
            inp = dict(inp)
            if isinstance(inp.get("input_file"), str):
                inp["input_file"] = resolve(inp["input_file"], base)
            self.inputs[name] = inp
        self.reports = sim.get("reports") or {}
        out = dict(sim.get("output") or {})
        out_dir = resolve(out.get("output_dir", "output"), base)
        out["output_dir"] = out_dir
        out["spikes_file"] = resolve(out.get("spikes_file", "spikes.h5"), out_dir)
        self.output = out
        sets = {}
        if "node_sets_file" in sim or "node_sets_file" in circuit:
            f = sim.get("node_sets_file") or circuit.get("node_sets_file")
            f = resolve(f, base if "node_sets_file" in sim else cbase)
            sets.update(_read_json(f, "node sets file"))
        sets.update(sim.get("node_sets") or {})
        self.node_sets = sets

    def node_set(self, name_or_set, where):
        """A node set as a dict of conditions (a name is looked up), or a list of them."""
        if isinstance(name_or_set, str):
            if name_or_set not in self.node_sets:
                raise ConfigurationError(
                    f"SONATA: {where} names node set {name_or_set!r}, which is not defined "
                    f"(defined: {', '.join(sorted(self.node_sets)) or 'none'}); add it to the "
                    f"node sets file")
            return self.node_set(self.node_sets[name_or_set], where)
        if isinstance(name_or_set, list):
            out = []
            for item in name_or_set:
                got = self.node_set(item, where)
                out.extend(got if isinstance(got, list) else [got])
            return out
        if isinstance(name_or_set, dict):
            return name_or_set
        raise ConfigurationError(f"SONATA: {where}: node set {name_or_set!r} is neither a "
                                 f"name, a list nor an object")
