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


def test_declared_names_are_listed_without_importing_their_module(monkeypatch):
    import sys
    import types

    reg: Registry = Registry("widget")
    reg.declare("hex", "widgets_hex", "A hexagonal widget.")
    assert reg.names() == ["hex"] and "hex" in reg
    assert reg.describe() == {"hex": "A hexagonal widget."}
    assert "widgets_hex" not in sys.modules

    module = types.ModuleType("widgets_hex")

    def build(sides: int = 6) -> tuple[str, int]:
        return ("hex", sides)

    build.__module__ = "widgets_hex"

    def load(name: str):  # stands in for importing the module, whose decorator registers it
        assert name == "widgets_hex"
        reg.register("hex")(build)
        return module

    monkeypatch.setattr("synscale.registry.import_module", load)
    assert reg.create("hex", sides=None) == ("hex", 6)
    assert reg.describe() == {"hex": "A hexagonal widget."}


def test_a_declared_module_that_does_not_register_its_name_fails_loudly(monkeypatch):
    reg: Registry = Registry("widget")
    reg.declare("hex", "widgets_hex", "A hexagonal widget.")
    monkeypatch.setattr("synscale.registry.import_module", lambda name: None)
    with pytest.raises(RuntimeError, match="widgets_hex does not register widget 'hex'"):
        reg.get("hex")


def test_declared_twice_or_registered_elsewhere_is_refused():
    reg: Registry = Registry("widget")
    reg.declare("hex", "widgets_hex", "A hexagonal widget.")
    with pytest.raises(ValueError, match="twice"):
        reg.declare("hex", "widgets_hex", "again")
    with pytest.raises(ValueError, match="declared in widgets_hex"):
        reg.register("hex")(lambda: None)


@pytest.mark.parametrize("registry", ["synscale.worlds:WORLDS", "synscale.prompts:STRATEGIES",
                                      "synscale.generators:GENERATORS", "synscale.scaling:LAWS"])
def test_every_declaration_names_the_module_that_registers_it_and_its_own_description(registry):
    """A declaration is a promise about another module: it registers that name, and the listing
    shows that component's own one-line description."""
    from importlib import import_module

    from synscale.registry import _first_line

    module, attr = registry.split(":")
    reg = getattr(import_module(module), attr)
    declared = [n for n in reg.names() if reg.declared_module(n)]
    assert declared
    for name in declared:
        factory = reg.get(name)
        assert factory.__module__ == reg.declared_module(name)
        assert reg.describe()[name] == _first_line(factory.__doc__), name
