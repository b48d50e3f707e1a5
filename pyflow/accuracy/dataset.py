"""A labelled image set, in a fixed order: ``images/<class>/<file>`` (a folder per class) or a labels file.

Class names: a WordNet id (``n01440764``, the ImageNet folder convention) or a class index. Labels files: CSV
``path,label`` (a header line ``path,label`` is skipped) or the ILSVRC ``val.txt`` form ``file label`` (whitespace);
paths are relative to the images directory.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyflow.errors import FlowError
from pyflow.labels import imagenet_wnids

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


@dataclass(frozen=True)
class Sample:
    path: Path
    label: int


def class_index(name: str, classes: int) -> int:
    """A class written as an index or (1000 classes) a WordNet id."""
    name = name.strip()
    if name.isdigit():
        index = int(name)
    elif classes == 1000 and name in imagenet_wnids():
        index = imagenet_wnids().index(name)
    else:
        wnid = " or an ImageNet WordNet id (n01440764)" if classes == 1000 else ""
        raise FlowError(f"cannot map class '{name}' to an output of the model ({classes} classes): use a class "
                        f"index 0..{classes - 1}{wnid}")
    if not 0 <= index < classes:
        raise FlowError(f"class index {index} is outside the model's {classes} classes")
    return index


def _from_folders(images: Path, classes: int) -> list[Sample]:
    samples = []
    for folder in sorted(p for p in images.iterdir() if p.is_dir()):
        label = class_index(folder.name, classes)
        samples += [Sample(f, label) for f in sorted(folder.iterdir())
                    if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES]
    return samples


def _from_labels_file(images: Path, labels: Path, classes: int) -> list[Sample]:
    try:
        lines = labels.read_text().splitlines()
    except OSError as err:
        raise FlowError(f"cannot read the labels file {labels}: {err.strerror or err}") from None
    samples = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#") or line.replace(" ", "").lower() == "path,label":
            continue
        parts = [p.strip() for p in line.split(",")] if "," in line else line.split()
        if len(parts) != 2:
            raise FlowError(f"{labels}:{number}: expected 'path,label' or 'file label', got {line!r}")
        path = images / parts[0]
        if not path.is_file():
            raise FlowError(f"{labels}:{number}: no image {path}")
        samples.append(Sample(path, class_index(parts[1], classes)))
    return samples


def load_dataset(images: Path, classes: int, labels: Path | None = None, limit: int | None = None) -> list[Sample]:
    images = Path(images)
    if not images.is_dir():
        raise FlowError(f"images directory not found: {images}")
    samples = _from_labels_file(images, Path(labels), classes) if labels else _from_folders(images, classes)
    if not samples:
        raise FlowError(f"no labelled images in {images}" + ("" if labels else
                        " (expected a folder per class, named by WordNet id or class index, or --labels FILE)"))
    if limit is not None:
        if limit < 1:
            raise FlowError(f"--limit must be at least 1, got {limit}")
        samples = samples[:limit]
    return samples
