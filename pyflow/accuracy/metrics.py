"""Top-k accuracy and how far backends agree, from int8 logits (ties rank the lower class index first)."""
from __future__ import annotations

from itertools import combinations

import numpy as np


def ranking(logits: np.ndarray, k: int) -> np.ndarray:
    """(N, k) class indices of the k largest logits per row, ties to the lower index."""
    return np.argsort(-logits.astype(np.int64), axis=1, kind="stable")[:, :k]


def topk_hits(logits: np.ndarray, labels: np.ndarray, k: int) -> int:
    return int(np.sum(np.any(ranking(logits, k) == labels[:, None], axis=1)))


def evaluate(logits: dict[str, np.ndarray], labels: np.ndarray) -> dict:
    """Per backend top-1 / top-5; per pair of backends the top-1 agreement, the share of images whose logits are
    identical, and the distribution of the logit differences (second minus first)."""
    n = int(labels.size)
    result = {"images": n, "backends": {}, "pairs": []}
    for name, values in logits.items():
        top1, top5 = topk_hits(values, labels, 1), topk_hits(values, labels, 5)
        result["backends"][name] = {"top1": top1 / n, "top5": top5 / n, "top1_hits": top1, "top5_hits": top5}
    for a, b in combinations(logits, 2):
        la, lb = logits[a].astype(np.int64), logits[b].astype(np.int64)
        diff = lb - la
        values, counts = np.unique(diff, return_counts=True)
        result["pairs"].append({
            "a": a, "b": b, "top1_agreement": float(np.mean(ranking(la, 1)[:, 0] == ranking(lb, 1)[:, 0])),
            "identical_images": float(np.mean(np.all(diff == 0, axis=1))),
            "differing_logits": float(np.mean(diff != 0)), "max_abs_diff": int(np.abs(diff).max()) if diff.size else 0,
            "diff_histogram": {int(v): int(c) for v, c in zip(values, counts)}})
    return result
