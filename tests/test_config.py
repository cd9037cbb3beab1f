import pytest

from synscale.config import FrozenConfig, apply_overrides, load_config
from synscale.errors import ConfigError


class Inner(FrozenConfig):
    lr: float = 0.1
    steps: int = 10


class Outer(FrozenConfig):
    name: str = "a"
    inner: Inner = Inner()


def test_yaml_then_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: b\ninner:\n  lr: 0.5\n")
    cfg = load_config(Outer, path, ["inner.steps=7"])
    assert cfg == Outer(name="b", inner=Inner(lr=0.5, steps=7))


def test_base_values_lose_to_file_and_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: file\n")
    assert load_config(Outer, path, [], {"name": "flag"}).name == "file"
    assert load_config(Outer, None, ["name=set"], {"name": "flag"}).name == "set"


def test_unknown_key_in_yaml_names_it_and_the_valid_keys(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("inner:\n  learning_rate: 0.5\n")
    with pytest.raises(ConfigError, match=r"unknown key 'inner.learning_rate'; valid keys: lr, steps"):
        load_config(Outer, path)


def test_bad_value_and_bad_override_are_one_line_errors():
    with pytest.raises(ConfigError, match="inner.steps"):
        load_config(Outer, None, ["inner.steps=many"])
    with pytest.raises(ConfigError, match="key.path=value"):
        apply_overrides({}, ["nonsense"])


def test_missing_file_and_non_mapping(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(Outer, tmp_path / "nope.yaml")
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(Outer, path)


def test_digest_is_stable_and_sensitive():
    assert Outer().digest() == Outer().digest()
    assert Outer().digest() != Outer(inner=Inner(lr=0.2)).digest()
