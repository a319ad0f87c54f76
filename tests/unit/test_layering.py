"""The package's folders are its architecture: imports point only backwards along the flow."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2] / "spinn"
# Lower layers never import higher ones.  Same layer may import itself.
LAYERS = ["_numba_cache", "errors", "distributions", "kernels", "dynamics", "model", "mapping", "runtime",
          "live", "recording", "progress", "simulation", "api", "external_devices",
          "rehearsal", "script", "cli", "__init__", "pynn", "sonata"]


def layer_of(module):
    head = module.split(".")[1] if module.startswith("spinn.") else module
    return LAYERS.index(head)


def spinn_imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("spinn"):
            yield node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("spinn"):
                    yield alias.name


MODULES = sorted(p for p in ROOT.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_backwards(path):
    """A module imports only from its own layer or layers before it in the data flow."""
    rel = path.relative_to(ROOT).with_suffix("")
    me = layer_of("spinn." + ".".join(rel.parts)) if rel.parts[0] != "__init__" else \
        LAYERS.index("__init__")
    for module in spinn_imports(path):
        if module == "spinn":
            continue
        assert layer_of(module) <= me, f"{rel} (layer {LAYERS[me]}) imports {module}"


def test_only_comm_imports_mpi():
    """Only spinn/runtime/comm.py imports mpi4py or numba_mpi."""
    def imported(p):
        tree = ast.parse(p.read_text())
        names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        return {name.split(".")[0] for name in names}

    importers = [p.relative_to(ROOT) for p in MODULES if imported(p) & {"mpi4py", "numba_mpi"}]
    assert [str(p) for p in importers] == ["runtime/comm.py"]


def test_every_registered_cell_type_is_exported():
    """Every cell type in the registry can be used as spinn.<Name> in a script."""
    import spinn
    from spinn.dynamics import REGISTRY

    missing = [name for name in REGISTRY if getattr(spinn, name, None) is not REGISTRY[name]]
    assert not missing and set(REGISTRY) <= set(spinn.__all__)


def test_every_public_class_and_function_has_a_docstring():
    """help() where people look: spinn's and spinn.pynn's own public names (PyNN's are
    PyNN's), their public methods (inherited docstrings count), and a cell type's help()
    gives its equations and its parameters with units and defaults."""
    import inspect

    import spinn
    import spinn.pynn

    missing = []
    for mod in (spinn, spinn.pynn):
        for name in dir(mod):
            obj = getattr(mod, name)
            if name.startswith("_") or not (inspect.isclass(obj) or inspect.isfunction(obj)) \
                    or not getattr(obj, "__module__", "").startswith("spinn"):
                continue
            if not (inspect.getdoc(obj) or "").strip() or \
                    (inspect.isclass(obj) and not obj.__dict__.get("__doc__")):
                missing.append(f"{mod.__name__}.{name}")
            if inspect.isclass(obj):
                missing += [f"{mod.__name__}.{name}.{m}" for m, f in vars(obj).items()
                            if not m.startswith("_") and inspect.isfunction(f)
                            and not (inspect.getdoc(getattr(obj, m)) or "").strip()]
    assert not missing, missing
    text = spinn.IF_curr_exp.__doc__
    assert "cm dv/dt" in text and "tau_m: 20 ms" in text and "v_thresh: -50 mV" in text
    assert "Izhikevich" in spinn.Izhikevich.__doc__ and "a: 0.02" in spinn.Izhikevich.__doc__
