"""WordNet 3.0 class metadata shipped with the package, and lookups for custom classes."""

from __future__ import annotations

import pytest

from synscale.errors import DataError
from synscale.prompts import wordnet
from synscale.prompts.wordnet import class_metadata, shipped_class_set, shipped_metadata
from synscale.worlds import get_world
from synscale.worlds.base import ClassInfo
from synscale.worlds.imagenet import imagenet_classes


def test_every_builtin_class_has_shipped_metadata():
    imagenet = imagenet_classes()
    assert shipped_class_set("imagenet") == [c.wnid for c in imagenet]
    assert shipped_class_set("mini") == [c.wnid for c in get_world("mini").classes]
    for cls in [*imagenet, *get_world("mini").classes]:
        meta = shipped_metadata()[cls.wnid]
        assert meta.lemmas and meta.gloss and meta.hypernyms[-1].synset == "entity.n.01"
        assert meta.parents[0] == meta.hypernyms[0]


def test_mini_synsets_match_their_wnids():
    for cls in get_world("mini").classes:
        assert class_metadata(cls).synset == cls.synset, cls


def test_tench_and_a_class_with_two_parents():
    tench = class_metadata(imagenet_classes()[0])
    assert (tench.synset, tench.lemmas) == ("tench.n.01", ("tench", "Tinca tinca"))
    assert tench.parents[0].lemmas == ("cyprinid", "cyprinid fish")
    # Some ImageNet classes have two direct hypernyms; WordNet's own order is kept.
    two = [m for m in shipped_metadata().values() if len(m.parents) > 1]
    assert len(two) > 20
    accordion = shipped_metadata()["n02672831"]
    assert [p.synset for p in accordion.parents] == ["free-reed_instrument.n.01",
                                                    "keyboard_instrument.n.01"]


def test_custom_class_without_wordnet_says_what_to_install(monkeypatch):
    monkeypatch.setattr(wordnet, "wordnet", lambda: None)
    custom = ClassInfo(0, "kumquat", "", "")
    with pytest.raises(DataError, match="nltk.downloader wordnet"):
        class_metadata(custom)


needs_wordnet = pytest.mark.skipif(wordnet.wordnet() is None, reason="WordNet 3.0 not installed "
                                   "(scripts/build_class_metadata.py --wordnet-only)")


@needs_wordnet
def test_custom_classes_from_wordnet_match_the_shipped_records():
    by_name = class_metadata(ClassInfo(0, "kumquat", "", ""))
    assert by_name.synset.startswith("kumquat.n.") and by_name.gloss
    for cls in imagenet_classes()[::97]:
        synset = wordnet.wordnet().synset_from_pos_and_offset("n", int(cls.wnid[1:]))
        fresh = wordnet.from_synset(synset)
        assert fresh == shipped_metadata()[cls.wnid]
