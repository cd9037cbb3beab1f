import numpy as np
import torch

from synscale.worlds import WORLDS, get_world
from synscale.worlds.mini import font_files


def test_registry_lists_both_worlds():
    assert WORLDS.names() == ["imagenet", "mini"]


def test_pools_are_disjoint_stratified_and_deterministic():
    world = get_world("mini")
    sizes = {name: len(world.pool(name)) for name in world.pool_names()}
    assert sizes == {"generator": 2000, "train": 2000, "val": 1000, "web": 3000}
    ids = {name: set(world.pool(name).ids) for name in ("generator", "train", "val")}
    assert not ids["generator"] & ids["train"] and not ids["train"] & ids["val"]
    assert not ids["generator"] & ids["val"]
    train = world.pool("train")
    assert np.bincount(train.label_array).tolist() == [200] * 10
    assert train.images.shape[1:] == (1, 16, 16) and train.images.dtype == torch.uint8
    assert torch.equal(train.images, get_world("mini").pool("train").images)


def test_ood_sets_are_real_and_cover_all_classes():
    world = get_world("mini")
    assert world.ood_names() == ["digits", "renditions", "sketch"]
    digits, renditions, sketch = (world.ood(n) for n in world.ood_names())
    assert len(digits) == 1797  # scikit-learn's real 8x8 digits
    assert len(sketch) == len(world.pool("val"))
    for data in (digits, renditions, sketch):
        assert data.images.shape[1:] == (1, 16, 16)
        assert sorted(set(data.label_array.tolist())) == list(range(10))
        assert data.images.float().mean() > 10  # ink is present, not blank frames
    # renditions really vary: no two images of a class are identical
    for c in range(10):
        imgs = renditions.images[renditions.labels == c].reshape(-1, 256)
        assert len(torch.unique(imgs, dim=0)) == len(imgs)


def test_sketches_are_outlines_of_val_images():
    world = get_world("mini")
    val, sketch = world.pool("val"), world.ood("sketch")
    assert torch.equal(val.labels, sketch.labels)
    # outlines put ink where strokes have edges, so they differ from the filled strokes
    assert (val.images.float() - sketch.images.float()).abs().mean() > 20


def test_classes_have_wordnet_identity():
    classes = get_world("mini").classes
    assert [c.name for c in classes][:3] == ["zero", "one", "two"]
    assert classes[0].synset == "zero.n.02" and classes[7].synset == "seven.n.01"
    assert all(c.wnid.startswith("n") and len(c.wnid) == 9 for c in classes)


def test_fonts_come_from_matplotlib():
    assert len(font_files()) >= 5
