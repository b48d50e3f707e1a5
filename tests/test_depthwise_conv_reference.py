"""DEPTHWISE_CONV_2D: 3x3, 5x5 and 7x7, stride 1/2, SAME/VALID, dilation, depth multiplier 2 and 3."""
from single_op_cases import make_test

test_depthwise_conv_matches_oracle = make_test([
    "dwconv_3x3_s1_same.tflite", "dwconv_3x3_s2_same.tflite", "dwconv_5x5_s1_same.tflite",
    "dwconv_5x5_s2_same.tflite", "dwconv_5x5_valid_mult2.tflite", "dwconv_7x7_s2_same.tflite",
    "dwconv_3x3_mult3.tflite", "dwconv_3x3_dilated.tflite"])
