"""invoke accuracy: the labelled image set, the metrics, and a run on photos shipped with the project through the
reference, csim and LiteRT (which must agree on every logit)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import GOLDEN_INPUTS, ROOT
from pyflow.accuracy.dataset import load_dataset
from pyflow.accuracy.metrics import evaluate, ranking
from pyflow.errors import FlowError

# committed photos (golden/inputs, from scikit-image) as a tiny ImageNet-style set: a folder per WordNet id
PHOTOS = {"chelsea": "n02123045",  # tabby
          "coffee": "n07920052",  # espresso
          "rocket": "n03773504"}  # missile


@pytest.fixture
def photo_set(tmp_path):
    for name, wnid in PHOTOS.items():
        (tmp_path / "set" / wnid).mkdir(parents=True)
        shutil.copy(GOLDEN_INPUTS / f"{name}.png", tmp_path / "set" / wnid / f"{name}.png")
    return tmp_path / "set"


def test_dataset_from_folders_labels_csv_and_val_txt(photo_set, tmp_path):
    by_folder = load_dataset(photo_set, 1000)
    assert [(s.path.name, s.label) for s in by_folder] == [("chelsea.png", 281), ("rocket.png", 657),
                                                           ("coffee.png", 967)]  # folders in name order
    csv = tmp_path / "labels.csv"
    csv.write_text("path,label\nn02123045/chelsea.png,281\nn07920052/coffee.png,n07920052\n")
    assert [s.label for s in load_dataset(photo_set, 1000, csv)] == [281, 967]
    val = tmp_path / "val.txt"
    val.write_text("n03773504/rocket.png 657\n")
    assert [s.label for s in load_dataset(photo_set, 1000, val, limit=1)] == [657]


@pytest.mark.parametrize("content, message", [
    ("n02123045/none.png,281\n", "no image"),
    ("n02123045/chelsea.png,1000\n", "outside the model's 1000 classes"),
    ("n02123045/chelsea.png,281,3\n", "expected 'path,label'"),
    ("n02123045/chelsea.png,tabby\n", "cannot map class 'tabby'"),
])
def test_bad_labels_are_clear_errors(photo_set, tmp_path, content, message):
    labels = tmp_path / "labels.csv"
    labels.write_text(content)
    with pytest.raises(FlowError, match=message):
        load_dataset(photo_set, 1000, labels)


def test_bad_folders_are_clear_errors(tmp_path):
    (tmp_path / "cats").mkdir()
    with pytest.raises(FlowError, match="cannot map class 'cats'"):
        load_dataset(tmp_path, 1000)
    with pytest.raises(FlowError, match="images directory not found"):
        load_dataset(tmp_path / "none", 1000)
    (tmp_path / "cats").rmdir()
    with pytest.raises(FlowError, match="no labelled images"):
        load_dataset(tmp_path, 1000)


def test_metrics_by_hand():
    labels = np.array([2, 0, 1])
    a = np.array([[0, 5, 9], [7, 7, 1], [3, 2, 1]], np.int8)  # ties rank the lower index first
    b = a.copy()
    b[2] = [1, 2, 1]
    assert ranking(a, 2).tolist() == [[2, 1], [0, 1], [0, 1]]
    r = evaluate({"a": a, "b": b}, labels)
    assert r["backends"]["a"] == {"top1": 2 / 3, "top5": 1.0, "top1_hits": 2, "top5_hits": 3}
    assert r["backends"]["b"]["top1_hits"] == 3
    pair = r["pairs"][0]
    assert pair["top1_agreement"] == pytest.approx(2 / 3) and pair["identical_images"] == pytest.approx(2 / 3)
    assert pair["diff_histogram"] == {-2: 1, 0: 8} and pair["max_abs_diff"] == 2


def test_invoke_accuracy_reference_csim_litert(photo_set, tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "invoke", "-r", str(ROOT), "accuracy", "--images", str(photo_set),
                             "--backend", "reference", "--backend", "csim", "--backend", "litert", "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "accuracy on 3 image(s)" in result.stdout and "agreement between backends" in result.stdout
    data = json.loads((out / "accuracy.json").read_text())
    assert (out / "accuracy.png").stat().st_size > 10_000
    assert data["images"] == 3 and set(data["backends"]) == {"reference", "csim", "litert"}
    for pair in data["pairs"]:  # the reference is bit-exact with LiteRT, csim with the reference
        assert pair["identical_images"] == 1.0 and pair["max_abs_diff"] == 0, pair
    hits = {name: b["top1_hits"] for name, b in data["backends"].items()}
    assert len(set(hits.values())) == 1 and [s["label"] for s in data["samples"]] == [281, 657, 967]
