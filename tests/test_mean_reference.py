"""MEAN over H, W with and without keep_dims; input and output scales differ."""
from single_op_cases import make_test

test_mean_matches_oracle = make_test(["mean_spatial.tflite", "mean_spatial_nokeepdims.tflite"])
