"""Judging a re-training against a record, and the data set's hash (verified entries)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from descent.engine import dataset_hash, load_dataset
from descent.engine.reproduce import compare_histories, judge, numeric_environment

RECORD = [{"epoch": e, "train_loss": 1.0 / e, "val_loss": 1.5 / e} for e in range(1, 6)]


def rerun(changes=None):
    changes = changes or {}
    history = [dict(r) for r in RECORD]
    for (epoch, field), value in changes.items():
        history[epoch - 1][field] = value
    return history


def test_the_same_data_hashes_the_same_and_any_change_shows():
    data = load_dataset("blobs", seed=0)
    assert dataset_hash(data) == dataset_hash(load_dataset("blobs", seed=0))
    assert len(dataset_hash(data)) == 64
    assert dataset_hash(data) != dataset_hash(load_dataset("blobs", seed=1))
    assert dataset_hash(data) != dataset_hash(load_dataset("blobs", seed=0, noise=2.0))
    nudged = data.X_val.copy()
    nudged[0, 0] = np.nextafter(nudged[0, 0], np.float32(np.inf))
    assert dataset_hash(dataclasses.replace(data, X_val=nudged)) != dataset_hash(data)


def test_an_identical_rerun_reproduces_bit_for_bit():
    verdict = judge(compare_histories(RECORD, rerun()), recorded_status="succeeded",
                    rerun_status="succeeded", recorded_score=0.9, rerun_score=0.9)
    assert verdict.reproduced and verdict.bit_for_bit
    assert verdict.reason == "15 values over 5 epochs, every one identical"


def test_round_off_in_the_last_epoch_reproduces_within_the_tolerance():
    last = RECORD[-1]["val_loss"]
    drifted = rerun({(5, "val_loss"): math.nextafter(last, 1.0)})
    verdict = judge(compare_histories(RECORD, drifted), recorded_status="succeeded",
                    rerun_status="succeeded")
    assert verdict.reproduced and not verdict.bit_for_bit
    assert not judge(compare_histories(RECORD, drifted), recorded_status="succeeded",
                     rerun_status="succeeded", rtol=0, atol=0).reproduced


def test_an_edited_middle_epoch_never_reproduces_whatever_the_tolerance():
    edited = rerun({(2, "val_loss"): RECORD[1]["val_loss"] * (1 + 1e-12)})
    verdict = judge(compare_histories(RECORD, edited), recorded_status="succeeded",
                    rerun_status="succeeded", rtol=1.0)
    assert not verdict.reproduced and "changed after the run" in verdict.reason


def test_another_status_or_score_does_not_reproduce():
    same = compare_histories(RECORD, rerun())
    assert not judge(same, recorded_status="succeeded", rerun_status="diverged").reproduced
    assert not judge(same, recorded_status="succeeded", rerun_status="succeeded",
                     recorded_score=0.9, rerun_score=0.8).reproduced


def test_the_numeric_environment_names_numpy_and_its_blas():
    numeric = numeric_environment()
    assert numeric["numpy"] == np.__version__ and numeric["blas"]
