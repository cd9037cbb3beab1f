import pytest

from synscale.errors import ConfigError, UnknownNameError
from synscale.registry import Registry


def make() -> Registry:
    reg: Registry = Registry("widget")

    @reg.register("round")
    def round_widget(size: int = 3) -> tuple[str, int]:
        """A round widget."""
        return ("round", size)

    @reg.register("square")
    def square_widget() -> str:
        return "square"

    return reg


def test_create_by_name_keeps_defaults_for_unset_options():
    reg = make()
    assert reg.create("round") == ("round", 3)
    assert reg.create("round", size=None) == ("round", 3)
    assert reg.create("round", size=5) == ("round", 5)


def test_unknown_name_lists_valid_names():
    with pytest.raises(UnknownNameError, match="unknown widget 'hex'; valid choices: round, square"):
        make().create("hex")


def test_duplicate_registration_is_refused():
    reg = make()
    with pytest.raises(ValueError, match="twice"):
        reg.register("round")(lambda: None)


def test_unknown_option_is_a_config_error():
    with pytest.raises(ConfigError, match="widget 'square'"):
        make().create("square", colour="red")


def test_names_filter_and_describe():
    reg = make()
    assert reg.names("r*") == ["round"]
    assert reg.describe() == {"round": "A round widget.", "square": ""}
