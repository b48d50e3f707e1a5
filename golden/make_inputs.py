"""Write the committed golden inputs (run once; needs scikit-image, which ships these photos).

Four real photos from scikit-image, preprocessed to 224x224 RGB with pyflow's one rule (shorter side to 256,
center crop), and two synthetic edge cases already in the model's int8 input form: all -128 and all 127.
"""
from pathlib import Path

import numpy as np
from PIL import Image
import skimage.data

from pyflow.images import center_crop_resize

HERE = Path(__file__).parent / "inputs"
PHOTOS = ("chelsea", "coffee", "astronaut", "rocket")

if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    for name in PHOTOS:
        rgb = center_crop_resize(getattr(skimage.data, name)(), 224, 224)
        Image.fromarray(rgb).save(HERE / f"{name}.png", optimize=True)
    np.save(HERE / "all_min.npy", np.full((224, 224, 3), -128, np.int8))
    np.save(HERE / "all_max.npy", np.full((224, 224, 3), 127, np.int8))
    print("wrote", sorted(p.name for p in HERE.iterdir()))
