"""PAD (with the zero point), CONCATENATION, RESHAPE, and a small whole network."""
from single_op_cases import make_test

test_shape_ops_match_oracle = make_test(["pad.tflite", "concat.tflite", "reshape.tflite",
                                         "mixed_small_net.tflite"])
