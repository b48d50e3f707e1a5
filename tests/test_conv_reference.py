"""CONV_2D: odd sizes, stride 1/2, SAME/VALID, 1x1, 5x5, 7x7, dilation, non-zero input zero point, a wide strip."""
from single_op_cases import make_test

test_conv_matches_oracle = make_test([
    "conv_3x3_s1_same_odd.tflite", "conv_3x3_s2_same.tflite", "conv_5x5_s2_valid.tflite", "conv_1x1.tflite",
    "conv_3x3_dilated.tflite", "conv_7x7_s2_same.tflite"])
test_wide_strip_matches_oracle = make_test(["wide_strip.tflite"], count=4)
