import pytest

from synscale.config import FrozenConfig, load_config, parse_overrides
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


def test_precedence_defaults_file_flags_set(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: file\ninner:\n  lr: 0.5\n")
    assert load_config(Outer, path).name == "file"
    # A flag typed now beats the file written earlier; --set beats both.
    assert load_config(Outer, path, [], {"name": "flag"}).name == "flag"
    assert load_config(Outer, path, ["name=set"], {"name": "flag"}).name == "set"
    # A flag left unset (None) lets the file decide; a nested flag keeps the file's siblings.
    assert load_config(Outer, path, [], {"name": None}).name == "file"
    assert load_config(Outer, path, [], {"inner.steps": 3}).inner == Inner(lr=0.5, steps=3)
    assert load_config(Outer, path, [], {"inner": {"steps": 3}}).inner == Inner(lr=0.5, steps=3)
    # Caller defaults sit below the file.
    assert load_config(Outer, path, defaults={"name": "stem"}).name == "file"
    assert load_config(Outer, None, defaults={"name": "stem"}).name == "stem"


def test_errors_name_the_layer_the_bad_value_came_from(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("inner:\n  steps: many\n")
    with pytest.raises(ConfigError, match=r"^.*c\.yaml: inner\.steps: "):
        load_config(Outer, path)
    with pytest.raises(ConfigError, match=r"^--steps lots: inner\.steps: "):
        load_config(Outer, path, [], {"inner.steps": "lots"})
    with pytest.raises(ConfigError, match=r"^--set inner\.steps=x: inner\.steps: "):
        load_config(Outer, path, ["inner.steps=x"], {"inner.steps": 3})
    with pytest.raises(ConfigError, match=r"^--rate nan: inner\.lr: must be a finite number"):
        load_config(Outer, None, [], {"inner.lr": float("nan")}, flag_names={"inner.lr": "--rate"})


def test_unknown_set_key_is_reported_as_a_set_key(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: file\n")
    with pytest.raises(ConfigError, match=r"^--set inner\.learning_rate=0\.3: unknown key "
                                          r"'inner\.learning_rate'; valid keys: lr, steps$"):
        load_config(Outer, path, ["inner.learning_rate=0.3"])


def test_unknown_key_in_yaml_names_it_and_the_valid_keys(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("inner:\n  learning_rate: 0.5\n")
    with pytest.raises(ConfigError, match=r"c\.yaml: unknown key 'inner.learning_rate'; valid keys: lr, steps"):
        load_config(Outer, path)


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_non_finite_numbers_are_refused(value):
    with pytest.raises(ConfigError, match=r"inner\.lr: must be a finite number"):
        load_config(Outer, None, [f"inner.lr={value}"])


def test_bad_value_and_bad_override_are_one_line_errors():
    with pytest.raises(ConfigError, match="inner.steps"):
        load_config(Outer, None, ["inner.steps=many"])
    for bad in ("nonsense", "=1", "a..b=1"):
        with pytest.raises(ConfigError, match="key.path=value"):
            parse_overrides([bad])
    with pytest.raises(ConfigError, match=r"--set name\.x: 'name' is not a section"):
        load_config(Outer, None, ["name=a", "name.x=1"])


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
