"""ADD: two branches with different scales, fused ReLU6."""
from single_op_cases import make_test

test_add_matches_oracle = make_test(["add_relu6.tflite"], count=48)
