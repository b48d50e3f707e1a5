"""Per-op reference tests: every single-op model of one family, random and extreme inputs, both oracles."""
from __future__ import annotations

import pytest

from conftest import MODELS, assert_matches_oracle, random_inputs
from pyflow.tflite_reader import read_model


def make_test(model_names: list[str], count: int = 24):
    @pytest.mark.parametrize("oracle", ["litert", "tflm"])
    @pytest.mark.parametrize("name", model_names)
    def test_matches_oracle(name, oracle):
        path = MODELS / name
        graph = read_model(path)
        x = random_inputs(graph, count, seed=sum(map(ord, name)))
        assert_matches_oracle(path, x, oracle, graph)

    return test_matches_oracle
