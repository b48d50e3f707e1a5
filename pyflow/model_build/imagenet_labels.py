"""Build pyflow/data/imagenet_labels.txt: the 1000 ImageNet-1k classes in the order classifiers index them.

One line per class: ``<WordNet id><TAB><WordNet lemmas>``. The order is the sorted WordNet ids (the standard
ILSVRC-2012 class index, which the EfficientNet-lite0 weights use); the names are the WordNet lemmas of each id.
Both come from data files shipped in the PyPI wheel of ``timm`` (Apache-2.0): ``timm/data/_info/
imagenet_synsets.txt`` (the 1000 ids in index order) and ``imagenet_synset_to_lemma.txt``. No network at run time:
the wheel is fetched once here, by pip, without its dependencies.

Run: ``python -m pyflow.model_build.imagenet_labels [timm-*.whl]``.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from pyflow.fileio import write_text

TIMM_VERSION = "1.0.31"
OUT = Path(__file__).resolve().parents[1] / "data" / "imagenet_labels.txt"


def labels_from_wheel(wheel: Path) -> list[tuple[str, str]]:
    with zipfile.ZipFile(wheel) as z:
        ids = z.read("timm/data/_info/imagenet_synsets.txt").decode().split()
        lemmas = dict(line.split("\t", 1) for line in z.read("timm/data/_info/imagenet_synset_to_lemma.txt")
                      .decode().splitlines() if "\t" in line)
    if len(ids) != 1000 or ids != sorted(ids) or len(set(ids)) != 1000:
        raise SystemExit(f"{wheel}: imagenet_synsets.txt is not the 1000 sorted ImageNet-1k ids")
    missing = [i for i in ids if i not in lemmas]
    if missing:
        raise SystemExit(f"{wheel}: no lemma for {missing[:5]}")
    return [(i, lemmas[i].strip()) for i in ids]


def main(argv: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if argv:
            wheel = Path(argv[0])
        else:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp,
                            f"timm=={TIMM_VERSION}"], check=True)
            wheel = next(Path(tmp).glob("timm-*.whl"))
        rows = labels_from_wheel(wheel)
    write_text(OUT, "".join(f"{i}\t{name}\n" for i, name in rows))
    print(f"wrote {OUT}: {len(rows)} classes")


if __name__ == "__main__":
    main(sys.argv[1:])
