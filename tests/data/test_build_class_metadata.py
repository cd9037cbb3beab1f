"""scripts/build_class_metadata.py writes archive members only as plain files in its folder."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_class_metadata.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("build_class_metadata", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_plain_member_name_lands_in_the_folder(script, tmp_path: Path) -> None:
    assert script.member_target(tmp_path, "data.noun") == (tmp_path / "data.noun").resolve()


@pytest.mark.parametrize("name", ["../evil", "../../etc/passwd", "/etc/passwd", "sub/data.noun",
                                  "..", ".", ""])
def test_a_member_that_would_leave_the_folder_is_refused(script, tmp_path: Path, name: str) -> None:
    with pytest.raises(SystemExit, match="refusing archive member"):
        script.member_target(tmp_path / "staging", name)
