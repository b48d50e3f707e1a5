"""AVERAGE_POOL_2D and MAX_POOL_2D: SAME edges (partial windows), VALID on odd sizes, global."""
from single_op_cases import make_test

test_pooling_matches_oracle = make_test([
    "avgpool_3x3_s2_same.tflite", "avgpool_2x2_valid.tflite", "avgpool_global.tflite",
    "maxpool_3x3_s2_same.tflite", "maxpool_2x2_valid.tflite", "maxpool_global.tflite"])
