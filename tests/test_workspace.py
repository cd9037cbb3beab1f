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


def test_a_workspace_is_made_with_its_folders_on_first_write_only(tmp_path):
    root = tmp_path / "a" / "b" / "ws"
    ws = Workspace(root)
    assert not (tmp_path / "a").exists()  # a command that fails before writing leaves nothing
    with ws.store():
        pass
    assert ws.store_path == root / "results.duckdb" and ws.store_path.is_file()


def test_a_workspace_that_must_exist_or_sits_under_a_file_is_refused(tmp_path):
    with pytest.raises(WorkspaceError, match=f"^workspace {tmp_path / 'ws'} does not exist$"):
        Workspace(tmp_path / "ws", create=False)
    assert Workspace(tmp_path, create=False).root == tmp_path
    (tmp_path / "file").write_text("x")
    with pytest.raises(WorkspaceError, match=f"cannot be made: {tmp_path / 'file'} is a file$"):
        Workspace(tmp_path / "file" / "sub" / "ws")


def test_a_finished_artifact_records_what_it_is(tmp_path):
    """``config.json`` holds kind, name, digest, inputs and config: what ``find`` and a reader of
    the folder rely on; a second builder of the same artifact leaves the first one in place."""
    ws = Workspace(tmp_path)
    with ws.building("runs", "mini real", {"k": 1}, ("in-1", "in-2")) as folder:
        (folder / "w.bin").write_bytes(b"first")
    artifact = ws.find("runs", "mini real", {"k": 1}, ("in-1", "in-2"))
    assert artifact == ws.artifact_path("runs", "mini real", {"k": 1}, ("in-1", "in-2"))
    assert artifact.config == {"kind": "runs", "name": "mini real", "digest": artifact.digest,
                               "inputs": ["in-1", "in-2"], "config": {"k": 1}}
    with ws.building("runs", "mini real", {"k": 1}, ("in-1", "in-2")) as folder:
        (folder / "w.bin").write_bytes(b"second")
    assert (artifact.path / "w.bin").read_bytes() == b"first"
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [artifact.path.name]


def test_artifact_names_keep_letters_digits_dashes_underscores_and_dots(tmp_path):
    path = Workspace(tmp_path).artifact_path("runs", "mini/real D=1.5e-3_x", {}).path
    assert path.name.rsplit("-", 1)[0] == "mini_real_D_1.5e-3_x"


def test_a_writable_file_gets_its_folders_or_one_clear_error(tmp_path):
    from synscale.workspace import writable_file

    target = tmp_path / "new" / "dir" / "out.png"
    assert writable_file(target, "--out") == target and target.parent.is_dir()
    assert writable_file(str(target), "--out") == target
    with pytest.raises(WorkspaceError, match=f"^--out {tmp_path} is a directory; give a file name$"):
        writable_file(tmp_path, "--out")
    (tmp_path / "file").write_text("x")
    with pytest.raises(WorkspaceError, match=f"^plan file {tmp_path / 'file' / 'p.csv'}: cannot create its folder"):
        writable_file(tmp_path / "file" / "p.csv", "plan file")
