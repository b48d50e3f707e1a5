"""CONV_2D: odd sizes, stride 1/2, SAME/VALID, 1x1, 5x5, dilation, non-zero input zero point."""
from single_op_cases import make_test

test_conv_matches_oracle = make_test([
    "conv_3x3_s1_same_odd.tflite", "conv_3x3_s2_same.tflite", "conv_5x5_s2_valid.tflite", "conv_1x1.tflite",
    "conv_3x3_dilated.tflite"])
