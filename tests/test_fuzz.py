"""The fuzz campaign as a test: seeded mutations of the committed single-op models, each in a forked child with a
time and memory limit, must all run or end in a FlowError; and the harness itself must notice exceptions, hangs
and crashes (a campaign that cannot fail proves nothing)."""
from __future__ import annotations

import os
import time

import pytest

from conftest import MODELS
from pyflow import fuzz


def test_seeded_campaign_has_no_uncaught_failures():
    results = fuzz.campaign(fuzz.seeds_default(MODELS), 300, seed=20261202)
    bugs = [(r.case.seed_model, r.case.mutation, r.outcome, r.detail) for r in results if r.outcome in fuzz.BUGS]
    assert not bugs, bugs[:5]
    outcomes = {r.outcome for r in results}
    assert {"runs", "clean error"} <= outcomes  # the mutations reach both ends


def test_mutations_are_deterministic():
    a = fuzz.cases(fuzz.seeds_default(MODELS), 20, seed=5)
    b = fuzz.cases(fuzz.seeds_default(MODELS), 20, seed=5)
    assert [(x.mutation, x.data) for x in a] == [(y.mutation, y.data) for y in b]


@pytest.mark.parametrize("behaviour, outcome", [("raise", "exception"), ("sleep", "hang"), ("exit", "crash"),
                                                ("memory", "memory")])
def test_the_harness_detects_each_kind_of_failure(monkeypatch, behaviour, outcome):
    def broken(data):
        if behaviour == "raise":
            raise ValueError("boom")
        if behaviour == "sleep":
            time.sleep(30)
        if behaviour == "exit":
            os._exit(3)
        bytearray(8 << 30)  # beyond the child's address-space limit

    monkeypatch.setattr(fuzz, "run_model", broken)
    case = fuzz.cases(fuzz.seeds_default(MODELS), 1, seed=1)[0]
    result = fuzz.run_case(case, timeout_s=1.0)
    assert result.outcome == outcome, result.detail
