"""QUANTIZE / DEQUANTIZE at the model edges: uint8 in/out, float32 in/out."""
from single_op_cases import make_test

test_quantize_matches_oracle = make_test(["uint8_io.tflite", "float_io.tflite"], count=32)
