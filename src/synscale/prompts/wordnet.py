"""WordNet 3.0 identity of a class: offset id, synset name, lemma names, gloss, hypernym chain.

The built-in class sets (ImageNet-1k and the mini world's digits) ship their metadata as a package
data file made by ``scripts/build_class_metadata.py``, so prompts need no WordNet at run time.
Classes outside those sets are looked up in WordNet through nltk when it is installed.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from synscale.errors import DataError

if TYPE_CHECKING:
    from synscale.worlds.base import ClassInfo

METADATA_FILE = "class_metadata.json.gz"
WORDNET_VERSION = "3.0"
INSTALL_HINT = ("install nltk (pip install nltk) and WordNet 3.0 (python -m nltk.downloader "
                "wordnet, or offline: python scripts/build_class_metadata.py --wordnet-only)")


@dataclass(frozen=True)
class Hypernym:
    synset: str
    lemmas: tuple[str, ...]


@dataclass(frozen=True)
class ClassMetadata:
    """One WordNet noun synset; lemma names use spaces ("Tinca tinca"), not underscores."""

    wnid: str  # "n" + the 8-digit noun offset, e.g. "n01440764"
    synset: str  # e.g. "tench.n.01"
    lemmas: tuple[str, ...]
    gloss: str
    parents: tuple[Hypernym, ...]  # every direct hypernym, in WordNet's order (usually one)
    hypernyms: tuple[Hypernym, ...]  # the chain through the first parent up to "entity"

    def to_json(self) -> dict[str, Any]:
        return {"wnid": self.wnid, "synset": self.synset, "lemmas": list(self.lemmas),
                "gloss": self.gloss, "parents": [[h.synset, list(h.lemmas)] for h in self.parents],
                "hypernyms": [[h.synset, list(h.lemmas)] for h in self.hypernyms]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClassMetadata:
        def chain(key: str) -> tuple[Hypernym, ...]:
            return tuple(Hypernym(s, tuple(lemmas)) for s, lemmas in data[key])

        return cls(data["wnid"], data["synset"], tuple(data["lemmas"]), data["gloss"],
                   chain("parents"), chain("hypernyms"))


def from_synset(synset: Any) -> ClassMetadata:
    """Metadata of an nltk WordNet synset."""
    chain = []
    node = synset
    while parents := _parents(node):
        node = parents[0]
        chain.append(_hypernym(node))
    return ClassMetadata(f"n{synset.offset():08d}", synset.name(), _lemmas(synset),
                         synset.definition(), tuple(_hypernym(p) for p in _parents(synset)),
                         tuple(chain))


def _parents(synset: Any) -> list[Any]:
    """Direct (instance) hypernyms in the order of WordNet's data file.

    nltk keeps a synset's pointers in a set, so its ``hypernyms()`` order changes between
    processes; the data file's order is WordNet's own and never changes.
    """
    parents = synset.hypernyms() + synset.instance_hypernyms()
    if len(parents) < 2:
        return parents
    order = _hypernym_offsets(synset)
    return sorted(parents, key=lambda p: order.index(p.offset()))


def _hypernym_offsets(synset: Any) -> list[int]:
    # A data line: offset lex_filenum ss_type w_cnt (word lex_id)* p_cnt (symbol offset pos st)*
    data = synset._wordnet_corpus_reader._data_file(synset.pos())
    data.seek(synset.offset())
    fields = data.readline().split()
    start = 4 + 2 * int(fields[3], 16)
    pointers = [fields[start + 1 + 4 * i: start + 5 + 4 * i] for i in range(int(fields[start]))]
    return [int(offset) for symbol, offset, _, _ in pointers if symbol in ("@", "@i")]


def _hypernym(synset: Any) -> Hypernym:
    return Hypernym(synset.name(), _lemmas(synset))


def _lemmas(synset: Any) -> tuple[str, ...]:
    return tuple(name.replace("_", " ") for name in synset.lemma_names())


@cache
def _shipped() -> dict[str, Any]:
    data = resources.files("synscale") / "assets" / "prompts" / METADATA_FILE
    with gzip.open(data.open("rb"), "rt", encoding="utf-8") as f:
        return json.load(f)


@cache
def shipped_metadata() -> dict[str, ClassMetadata]:
    """Shipped metadata of every built-in class, by WordNet id."""
    return {wnid: ClassMetadata.from_json(rec) for wnid, rec in _shipped()["synsets"].items()}


def shipped_class_set(name: str) -> list[str]:
    """WordNet ids of a built-in class set ("imagenet" or "mini"), in class-id order."""
    sets = _shipped()["sets"]
    if name not in sets:
        raise DataError(f"no shipped class set {name!r}; shipped: {', '.join(sorted(sets))}")
    return list(sets[name])


def class_metadata(cls: ClassInfo) -> ClassMetadata:
    """Metadata of a class: shipped when built in, else from WordNet (wnid, synset, then name)."""
    shipped = shipped_metadata().get(cls.wnid)
    if shipped is not None:
        return shipped
    wn = wordnet()
    if wn is None:
        raise DataError(f"class {cls.name!r} ({cls.wnid or 'no wnid'}) is not in synscale's "
                        f"shipped metadata and WordNet is not available: {INSTALL_HINT}")
    return from_synset(_find_synset(wn, cls))


def _find_synset(wn: Any, cls: ClassInfo) -> Any:
    if cls.wnid:
        try:
            return wn.synset_from_pos_and_offset("n", int(cls.wnid.lstrip("n")))
        except (ValueError, LookupError) as exc:
            raise DataError(f"class {cls.name!r}: no WordNet noun with id {cls.wnid!r}") from exc
    if cls.synset:
        try:
            return wn.synset(cls.synset)
        except (ValueError, LookupError) as exc:
            raise DataError(f"class {cls.name!r}: no WordNet synset {cls.synset!r}") from exc
    found = wn.synsets(cls.name.replace(" ", "_"), pos="n")
    if not found:
        raise DataError(f"class {cls.name!r}: no WordNet noun of that name; give its synset "
                        "or wnid")
    return found[0]


@cache
def wordnet() -> Any | None:
    """nltk's WordNet 3.0 reader, or None when nltk or the corpus is missing."""
    try:
        from nltk.corpus import wordnet as wn

        version = wn.get_version()
    except (ImportError, LookupError, OSError):
        return None
    if version != WORDNET_VERSION:
        raise DataError(f"WordNet {version} found but synscale's ids are WordNet "
                        f"{WORDNET_VERSION}: {INSTALL_HINT}")
    return wn
