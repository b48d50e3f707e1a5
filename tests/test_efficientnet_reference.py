"""The whole EfficientNet-lite0 int8: every intermediate tensor bit-exact with LiteRT BUILTIN_REF on the committed
inputs and 24 augmented/random ones, and with TFLM on every tensor it exposes."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import EFFNET, assert_matches_oracle


def augmented(golden_inputs, count: int = 24) -> np.ndarray:
    """Deterministic variations of the committed photos (flips, shifts, contrast, noise) and random tensors."""
    rng = np.random.default_rng(2026)
    photos = [i.data.astype(np.int16) for i in golden_inputs if i.source.endswith(".png")]
    out = []
    for k in range(count):
        base = photos[k % len(photos)]
        kind = k % 6
        if kind == 0:
            x = base[:, ::-1]
        elif kind == 1:
            x = np.roll(base, shift=(k * 7, -k * 5), axis=(0, 1))
        elif kind == 2:
            x = (base * (0.5 + 0.1 * k / count)).round()
        elif kind == 3:
            x = base + rng.integers(-20, 21, base.shape)
        elif kind == 4:
            x = base[::-1, :, ::-1]
        else:
            x = rng.integers(-128, 128, base.shape)
        out.append(np.clip(x, -128, 127).astype(np.int8))
    return np.stack(out)


def test_committed_inputs_match_litert(effnet, golden_inputs):
    x = np.stack([i.data for i in golden_inputs])
    assert assert_matches_oracle(EFFNET, x, "litert", effnet) == 60


def test_augmented_inputs_match_litert(effnet, golden_inputs):
    assert assert_matches_oracle(EFFNET, augmented(golden_inputs), "litert", effnet) == 60


@pytest.mark.slow
def test_committed_and_some_augmented_inputs_match_tflm(effnet, golden_inputs):
    x = np.concatenate([np.stack([i.data for i in golden_inputs]), augmented(golden_inputs, 6)])
    assert assert_matches_oracle(EFFNET, x, "tflm", effnet) == 60


def test_top1_of_real_photos(effnet, golden_inputs):
    from pyflow.reference.runner import run

    photos = [i for i in golden_inputs if i.source.endswith(".png")]
    logits = run(effnet, np.stack([i.data for i in photos]), "litert")[effnet.outputs[0]]
    top1 = dict(zip([i.name for i in photos], np.argmax(logits, axis=-1).tolist()))
    assert top1["chelsea"] == 282 and top1["coffee"] == 967  # tiger cat, espresso (as the model card records)
