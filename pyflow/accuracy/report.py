"""The accuracy tables (text), the JSON result and the PNG plot."""
from __future__ import annotations

from pathlib import Path

from pyflow.errors import FlowError
from pyflow.fileio import write_json
from pyflow.table import format_rows


def format_result(result: dict) -> str:
    rows = [("backend", "top-1", "top-5", "images/s")]
    for name, r in result["backends"].items():
        rate = result.get("images_per_second", {}).get(name)
        rows.append((name, f"{100 * r['top1']:.2f}%", f"{100 * r['top5']:.2f}%", f"{rate:.2f}" if rate else "-"))
    text = [f"accuracy on {result['images']} image(s)", format_rows(rows, right=(1, 2, 3))]
    if result["pairs"]:
        pairs = [("a", "b", "top-1 agree", "identical images", "logits differing", "max |diff|")]
        for p in result["pairs"]:
            pairs.append((p["a"], p["b"], f"{100 * p['top1_agreement']:.2f}%", f"{100 * p['identical_images']:.2f}%",
                          f"{100 * p['differing_logits']:.3f}%", str(p["max_abs_diff"])))
        text += ["", "agreement between backends (int8 logits)", format_rows(pairs, right=(2, 3, 4, 5))]
    return "\n".join(text)


def write_result(result: dict, out_dir: Path) -> tuple[Path, Path]:
    """accuracy.json and accuracy.png in out_dir."""
    out_dir = Path(out_dir)
    json_path = out_dir / "accuracy.json"
    write_json(json_path, result)
    return json_path, _plot(result, out_dir / "accuracy.png")


def _plot(result: dict, path: Path) -> Path:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise FlowError("the accuracy plot needs matplotlib (pip install matplotlib)") from None
    import io

    from pyflow.fileio import write_bytes

    names = list(result["backends"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    x = range(len(names))
    left.bar([i - 0.2 for i in x], [100 * result["backends"][n]["top1"] for n in names], 0.4, label="top-1")
    left.bar([i + 0.2 for i in x], [100 * result["backends"][n]["top5"] for n in names], 0.4, label="top-5")
    left.set_xticks(list(x), names)
    left.set_ylabel("% of images")
    left.set_ylim(0, 100)
    left.set_title(f"accuracy ({result['images']} images)")
    left.legend()
    first = names[0] if names else None
    for pair in (p for p in result["pairs"] if p["a"] == first):  # every backend against the first one
        hist = {int(k): v for k, v in pair["diff_histogram"].items()}
        keys = sorted(hist)
        right.plot(keys, [hist[k] for k in keys], marker="o", label=f"{pair['b']} - {pair['a']}")
    right.set_yscale("log")
    right.set_xlabel("int8 logit difference")
    right.set_ylabel("logits")
    right.set_title(f"logit differences against {first}")
    if len(names) > 1:
        right.legend(fontsize="small")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    write_bytes(path, buffer.getvalue())
    return path
