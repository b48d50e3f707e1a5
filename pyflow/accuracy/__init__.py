"""`invoke accuracy`: a labelled image set through several backends, top-1 / top-5 per backend and how far the
backends agree with each other.

- dataset.py  : the labelled images (a folder per class, or a labels file) in a fixed order;
- backends.py : int8 logits of a batch from the reference, csim (the engine library), LiteRT, TFLM or XNNPACK;
- metrics.py  : top-k hits, pairwise top-1 agreement, logit identity and differences;
- report.py   : the tables, the JSON result and the PNG plot.
"""
