import pytest

from synscale.errors import WorkspaceError
from synscale.workspace import Workspace


def test_artifact_is_named_by_config_and_inputs(tmp_path):
    ws = Workspace(tmp_path / "ws")
    a = ws.artifact_path("runs", "x", {"k": 1})
    assert a == ws.artifact_path("runs", "x", {"k": 1})
    assert a.digest != ws.artifact_path("runs", "x", {"k": 2}).digest
    assert a.digest != ws.artifact_path("runs", "x", {"k": 1}, inputs=("abc",)).digest


def test_building_is_atomic(tmp_path):
    ws = Workspace(tmp_path)
    with pytest.raises(RuntimeError), ws.building("runs", "x", {"k": 1}) as folder:
        (folder / "half.bin").write_bytes(b"half")
        raise RuntimeError("crash")
    assert ws.find("runs", "x", {"k": 1}) is None
    assert list((tmp_path / "runs").iterdir()) == []  # no temporary left behind
    with ws.building("runs", "x", {"k": 1}) as folder:
        (folder / "w.bin").write_bytes(b"done")
    found = ws.find("runs", "x", {"k": 1})
    assert found is not None and (found.path / "w.bin").read_bytes() == b"done"
    assert found.config["config"] == {"k": 1}


def test_workspace_that_is_a_file_is_refused(tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(WorkspaceError, match="not a directory"):
        Workspace(path)
