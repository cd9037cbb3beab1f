import io
import tarfile

import numpy as np
import pytest
from PIL import Image

from synscale.errors import DataError, UnknownNameError
from synscale.worlds import get_world

TENCH, GOLDFISH = "n01440764", "n01443537"


def write_jpeg(path, colour):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 30), colour).save(path, "JPEG")


@pytest.fixture
def root(tmp_path):
    for split in ("train", "val"):
        for i in range(3):
            write_jpeg(tmp_path / split / TENCH / f"{i}.JPEG", (200, 10, 10))
            write_jpeg(tmp_path / split / GOLDFISH / f"{i}.JPEG", (10, 200, 10))
    # ImageNet-V2's release names folders by class index
    write_jpeg(tmp_path / "imagenet-v2" / "0" / "a.jpeg", (200, 10, 10))
    # ImageNet-R as WebDataset shards with cls labels
    (tmp_path / "imagenet-r").mkdir()
    with tarfile.open(tmp_path / "imagenet-r" / "shard-000000.tar", "w") as tar:
        for key, label in (("s0", 1), ("s1", 1), ("s2", 0)):
            buf = io.BytesIO()
            Image.new("RGB", (8, 8), (0, 0, 255)).save(buf, "PNG")
            for ext, data in (("png", buf.getvalue()), ("cls", str(label).encode())):
                info = tarfile.TarInfo(f"{key}.{ext}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return tmp_path


def test_classes_come_offline_with_wordnet_ids():
    world = get_world("imagenet")  # no data root: classes only
    assert world.num_classes == 1000 and world.pool_names() == []
    assert world.classes[0].name == "tench" and world.classes[0].wnid == TENCH
    assert world.classes[0].synset == "tench.n.01"


def test_image_folders_by_wnid_and_by_index(root):
    world = get_world("imagenet", root=root)
    assert world.pool_names() == ["train", "val"] and world.ood_names() == ["v2", "r"]
    train = world.pool("train")
    assert len(train) == 6 and sorted(set(train.label_array.tolist())) == [0, 1]
    image, label = train[0]
    assert image.shape == (3, 224, 224) and label == 0 and image[0].float().mean() > 150
    assert world.ood("v2").label_array.tolist() == [0]


def test_shards_and_class_restriction(root):
    r = get_world("imagenet", root=root).ood("r")
    assert len(r) == 3 and sorted(r.label_array.tolist()) == [0, 1, 1]
    assert r.classes == [0, 1]  # logits get restricted to the classes a set covers
    image, _ = r.subset([0])[0]
    assert image.shape == (3, 224, 224) and image[2].float().mean() > 200


def test_missing_root_split_and_empty_folder(tmp_path, root):
    with pytest.raises(DataError, match="need a data root"):
        get_world("imagenet").pool("train")
    with pytest.raises(DataError, match="not a directory"):
        get_world("imagenet", root=tmp_path / "nope")
    (tmp_path / "empty" / "val" / TENCH).mkdir(parents=True)
    world = get_world("imagenet", root=tmp_path / "empty")
    with pytest.raises(DataError, match="no images"):
        world.pool("val")
    with pytest.raises(DataError, match="train split missing"):
        world.pool("train")
    with pytest.raises(UnknownNameError, match="valid choices"):
        get_world("imagenet", root=root).ood("c")


def test_unknown_folder_name_is_explained(tmp_path):
    write_jpeg(tmp_path / "val" / "not-a-class" / "x.jpg", (0, 0, 0))
    with pytest.raises(DataError, match="neither a WordNet id"):
        get_world("imagenet", root=tmp_path).pool("val")


def test_label_array_matches_files(root):
    train = get_world("imagenet", root=root).pool("train")
    assert np.array_equal(train.label_array, np.array([0, 0, 0, 1, 1, 1]))
