"""Unit tests for spinn.cli: argument parsing and the MPI launch decision (nothing is launched)."""

from __future__ import annotations

import importlib.util
import stat
import sys
from pathlib import Path

import pytest

# Load spinn/cli.py from its file so these tests do not depend on spinn/__init__.py
# (which imports the simulator core).
_CLI_PATH = Path(__file__).resolve().parents[2] / "spinn" / "cli.py"
_spec = importlib.util.spec_from_file_location("_spinn_cli_under_test", _CLI_PATH)
cli = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cli)


def _fake_exe(path: Path, body: str = "exit 0") -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _probe_never_called(mpiexec, ranks):
    raise AssertionError("probe must not be called")


# --- argument parsing -------------------------------------------------------------


def test_run_defaults():
    a = cli.parse_args(["run", "ex.py"])
    assert (a.command, a.ranks, a.mpiexec, a.script, a.script_args) == ("run", 1, None, "ex.py", [])


def test_run_script_args_after_separator():
    a = cli.parse_args(["run", "--ranks", "2", "ex.py", "--", "--duration", "1000", "--out", "o"])
    assert a.ranks == 2
    assert a.script == "ex.py"
    assert a.script_args == ["--duration", "1000", "--out", "o"]


def test_run_script_args_without_separator():
    a = cli.parse_args(["run", "-n", "3", "--mpiexec", "/x/mpiexec", "ex.py", "--seed", "1"])
    assert (a.ranks, a.mpiexec, a.script_args) == (3, "/x/mpiexec", ["--seed", "1"])


def test_run_keeps_later_separators():
    assert cli.parse_args(["run", "ex.py", "--", "--", "y"]).script_args == ["--", "y"]
    assert cli.parse_args(["run", "ex.py", "a", "--", "b"]).script_args == ["a", "--", "b"]


@pytest.mark.parametrize("argv", [[], ["run"], ["run", "--ranks", "0", "ex.py"], ["bogus"]])
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.parse_args(argv)
    assert exc.value.code == 2


def test_version(capsys):
    assert cli.main(["version"]) == 0
    assert capsys.readouterr().out.strip()  # a version, or "unknown" when not installed


# --- launch decision --------------------------------------------------------------


def test_single_rank_runs_directly_without_mpiexec():
    argv, msg = cli.plan_launch(1, "ex.py", ["--a"], "/x/mpiexec", _probe_never_called)
    assert argv == [sys.executable, "ex.py", "--a"]
    assert msg is None


def test_multi_rank_uses_mpiexec_when_probe_succeeds():
    calls = []

    def probe(mpiexec, ranks):
        calls.append((mpiexec, ranks))
        return None

    argv, msg = cli.plan_launch(4, "ex.py", ["--a", "1"], "/x/mpiexec", probe)
    assert argv == ["/x/mpiexec", "-n", "4", sys.executable, "ex.py", "--a", "1"]
    assert msg is None
    assert calls == [("/x/mpiexec", 4)]


def test_falls_back_when_probe_fails():
    argv, msg = cli.plan_launch(2, "ex.py", ["--a"], "/x/mpiexec", lambda m, n: "probe exited 1")
    assert argv == [sys.executable, "ex.py", "--a"]
    assert msg == (
        "spinn: MPI is not available (probe exited 1); running ex.py as a single process"
    )


def test_falls_back_when_no_mpiexec():
    argv, msg = cli.plan_launch(2, "ex.py", [], None, _probe_never_called)
    assert argv == [sys.executable, "ex.py"]
    assert msg.startswith("spinn: MPI is not available (")
    assert "no mpiexec" in msg
    assert msg.endswith("running ex.py as a single process")


# --- mpiexec discovery -------------------------------------------------------------


def test_find_mpiexec_precedence(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    venv_mpiexec = _fake_exe(bindir / "mpiexec")
    monkeypatch.setattr(cli.sys, "executable", str(bindir / "python"))
    monkeypatch.delenv("SPINN_MPIEXEC", raising=False)
    assert cli.find_mpiexec() == str(venv_mpiexec)
    monkeypatch.setenv("SPINN_MPIEXEC", "/env/mpiexec")
    assert cli.find_mpiexec() == "/env/mpiexec"
    assert cli.find_mpiexec("/explicit/mpiexec") == "/explicit/mpiexec"


def test_find_mpiexec_none(tmp_path, monkeypatch):
    monkeypatch.setattr(cli.sys, "executable", str(tmp_path / "python"))
    monkeypatch.delenv("SPINN_MPIEXEC", raising=False)
    assert cli.find_mpiexec() is None


def test_probe_reports_failures(tmp_path):
    assert "cannot run" in cli.probe_mpi(str(tmp_path / "missing"), 2)
    bad = _fake_exe(tmp_path / "bad", "echo boom; exit 3")
    assert cli.probe_mpi(str(bad), 2).endswith("exited 3: boom")
    slow = _fake_exe(tmp_path / "slow", "exec sleep 5")
    assert "timed out" in cli.probe_mpi(str(slow), 2, timeout=0.2)
    good = _fake_exe(tmp_path / "good")
    assert cli.probe_mpi(str(good), 2) is None


# --- main() execs the planned command --------------------------------------------


def test_main_execs_plan(tmp_path, monkeypatch, capsys):
    execs = []
    monkeypatch.setattr(cli.os, "execv", lambda path, argv: execs.append((path, argv)))
    monkeypatch.delenv("SPINN_MPIEXEC", raising=False)
    missing = str(tmp_path / "no-mpiexec")
    cli.main(["run", "--ranks", "2", "--mpiexec", missing, "ex.py", "--", "--x"])
    assert execs == [(sys.executable, [sys.executable, "ex.py", "--x"])]
    assert "running ex.py as a single process" in capsys.readouterr().err


def test_dash_dash_version_and_a_real_bench_help():
    """`spinn --version` answers; `spinn bench --help` is bench.py's own help (models,
    every option explained), not a stub."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "spinn.cli", "--version"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("spinn ")
    out = subprocess.run([sys.executable, "-m", "spinn.cli", "bench", "--help"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    for text in ("usage: spinn bench", "microcircuit", "Potjans", "--repeat", "measured",
                 "JSON", "side_by_side"):
        assert text in out.stdout, text


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "inf", "nan"])
def test_a_bad_time_scale_factor_exits_2_naming_it(bad, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.parse_args(["run", "--time-scale-factor", bad, "ex.py"])
    assert exc.value.code == 2
    assert "time_scale_factor" in capsys.readouterr().err


def test_time_scale_factor_reaches_the_script_as_its_setup_default(tmp_path, monkeypatch):
    monkeypatch.setattr(cli.os, "execv", lambda path, argv: None)
    monkeypatch.setenv("SPINN_TIME_SCALE_FACTOR", "")      # restored after the test
    cli.main(["run", "--time-scale-factor", "2.5", "ex.py"])
    assert cli.os.environ["SPINN_TIME_SCALE_FACTOR"] == "2.5"
