"""spinn's numba cache entries are stamped with every compiled spinn source, not only their
own file: a kernel cached with code it calls from another file must not outlive an edit of
that file (spinn/_numba_cache.py)."""

import shutil

import spinn._numba_cache as nc
from spinn.kernels import delays, deliver


def test_a_kernels_stamp_covers_the_files_it_calls():
    loc = delays.deliver_stages._cache._impl.locator
    assert type(loc).__name__.startswith("Spinn")
    own, digest = loc.get_source_stamp()
    assert digest == nc.compiled_sources_digest()
    assert deliver.deliver_packets._cache._impl.locator.get_source_stamp()[1] == digest


def test_the_digest_changes_with_any_compiled_source(tmp_path, monkeypatch):
    copy = tmp_path / "spinn"
    shutil.copytree(nc._PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(nc, "_PACKAGE", copy)
    nc.compiled_sources_digest.cache_clear()
    try:
        before = nc.compiled_sources_digest()
        with open(copy / "kernels" / "deliver.py", "a") as f:
            f.write("\n# an edit\n")
        nc.compiled_sources_digest.cache_clear()
        assert nc.compiled_sources_digest() != before
    finally:
        monkeypatch.undo()
        nc.compiled_sources_digest.cache_clear()


def test_other_projects_functions_keep_numbas_own_locators():
    assert not nc._ours("/usr/lib/python3/site-packages/other/thing.py")
    assert nc._ours(str(nc._PACKAGE / "kernels" / "deliver.py"))
