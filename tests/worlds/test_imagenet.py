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
    assert r.classes == [0, 1]  # a declared class subset: logits restricted to its classes
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


def test_only_declared_class_subsets_restrict_logits(root):
    """A val (or V2) split that happens to lack classes is scored over all 1000 classes."""
    world = get_world("imagenet", root=root)
    assert world.pool("val").classes is None and world.ood("v2").classes is None
    assert world.ood("r").classes == [0, 1]


def test_two_roots_never_share_runs_or_references(root, tmp_path_factory):
    from synscale.train.classifier import TrainRecipe
    from synscale.train.reference import reference_identity
    from synscale.train.runs import CurveConfig, plan_runs
    from synscale.workspace import Workspace

    other = tmp_path_factory.mktemp("other")
    for split in ("train", "val"):
        for i in range(3):
            write_jpeg(other / split / TENCH / f"{i}.JPEG", (200, 10, 10))
            write_jpeg(other / split / GOLDFISH / f"{i + 1}.JPEG", (10, 200, 10))  # other names
    workspace = Workspace(tmp_path_factory.mktemp("ws"))

    def run_id(data_root):
        config = CurveConfig(world="imagenet", world_root=str(data_root), scales=[4],
                             recipe=TrainRecipe(model="mini_resnet"))
        return plan_runs(config, workspace)[0].run_id

    assert run_id(root) == run_id(root)
    assert run_id(root) != run_id(other)
    recipe = TrainRecipe(model="mini_resnet", augment="imagenet")
    a = reference_identity(get_world("imagenet", root=root), recipe, 0)
    b = reference_identity(get_world("imagenet", root=other), recipe, 0)
    assert a[0] == b[0] and a[1] != b[1]
    assert a[1]["world_data"]["root"] == str(root.resolve())


def test_the_fingerprint_follows_the_files_not_only_the_root(root):
    before = get_world("imagenet", root=root).fingerprint()
    write_jpeg(root / "val" / GOLDFISH / "extra.JPEG", (10, 200, 10))
    after = get_world("imagenet", root=root).fingerprint()
    assert before["root"] == after["root"] and before["splits"]["val"] != after["splits"]["val"]
    assert before["splits"]["train"] == after["splits"]["train"]


def test_the_mini_world_adds_nothing_to_run_identities(tmp_path):
    """Embedded data: mini run identities (and so existing workspaces) are unchanged."""
    from synscale.train.runs import CurveConfig, plan_runs
    from synscale.workspace import Workspace

    assert get_world("mini").fingerprint() == {}
    task = plan_runs(CurveConfig(scales=[125]), Workspace(tmp_path))[0]
    assert set(task.identity) == {"world", "data", "scale", "seed", "recipe"}


def test_a_run_streams_imagenet_folders_and_scores_every_set(root, tmp_path):
    """A whole (tiny) ImageNet run: image folders and shards read by DataLoader workers."""
    from synscale.train.classifier import TrainRecipe
    from synscale.train.runs import CurveConfig, execute_run, plan_runs
    from synscale.train.schedule import Schedule
    from synscale.workspace import Workspace

    recipe = TrainRecipe(model="mini_resnet", batch_size=4, loader_workers=2, eval_batch_size=4,
                         schedule=Schedule(small_iterations=3, large_iterations=3, min_iterations=3))
    config = CurveConfig(world="imagenet", world_root=str(root), scales=[4], recipe=recipe)
    (task,) = plan_runs(config, Workspace(tmp_path))
    record = execute_run(task)
    assert record.iterations == 3 and set(record.sets) == {"val", "v2", "r"}
    assert record.sets["val"].n == 6 and record.sets["r"].n == 3
    training = (next((tmp_path / "runs").glob("imagenet-*")) / "training.json").read_text()
    assert '"streamed": true' in training
