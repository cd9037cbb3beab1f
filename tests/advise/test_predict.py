from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from advise_store import make_store
from scipy.stats import spearmanr

from synscale.advise.predict import evaluate, jackknife_plus, predict_new
from synscale.advise.table import study_table
from synscale.errors import DataError
from synscale.store import ResultsStore


def _table(root):
    with ResultsStore(root / "results.duckdb") as store:
        return study_table(store, "s")


def _score(evaluation, target, method):
    return next(s for s in evaluation.scores if s.target == target and s.method == method)


def test_table_recovers_the_targets_of_the_curves(study_store):
    root, truth = study_store
    table = _table(root)
    frame = table.with_curves
    assert len(frame) == 14 and table.small_scales == (125, 250)
    np.testing.assert_allclose(frame["k"], truth["k"], atol=0.01)
    np.testing.assert_allclose(frame["perf_ref"], truth["perf_ref"], atol=0.01)
    np.testing.assert_allclose(frame["recognizability"], truth["recognizability"])
    # the slope between the two smallest scales estimates k from two noisy points
    np.testing.assert_allclose(frame["small_slope"], truth["k"], atol=0.05)


def test_model_recovers_a_known_linear_relation(study_store):
    root, truth = study_store
    result = evaluate(_table(root), n_boot=200)
    for target in ("k", "perf_ref"):
        model = _score(result, target, "metrics")
        assert model.spearman > 0.95 and model.rmse < 0.03
        lo, hi = model.spearman_ci
        assert lo <= model.spearman <= hi
    loo = result.loo[(result.loo["target"] == "k") & (result.loo["method"] == "metrics")]
    np.testing.assert_allclose(loo["predicted"], truth["k"], atol=0.05)
    # recognizability alone misses diversity's part of k: it ranks worse than the model
    assert _score(result, "k", "recognizability").spearman < _score(result, "k", "metrics").spearman


def test_no_relation_no_ranking(tmp_path):
    make_store(tmp_path, shuffle_targets=True)
    result = evaluate(_table(tmp_path), n_boot=200)
    # with nothing to learn, ridge predicts the mean of the other configurations, which leave one
    # out turns into a ranking *against* the measured values: no signal scores low, not high
    assert _score(result, "k", "metrics").spearman < 0.3


def test_prediction_for_an_untrained_dataset_has_a_covering_interval(tmp_path):
    truth = make_store(tmp_path, n_configs=24, curves=20)
    table = _table(tmp_path)
    assert len(table.with_curves) == 20 and table.frame["k"].isna().sum() == 4
    row = table.frame.iloc[22]
    rows = {r["target"]: r for r in predict_new(table, row, level=0.9)}
    for target in ("k", "perf_ref"):
        lo, hi = rows[target]["interval"]
        assert lo < rows[target]["predicted"] < hi
        assert lo <= truth[target][22] <= hi
        assert "measured" not in rows[target]


def test_jackknife_plus_interval():
    lo, hi = jackknife_plus(np.zeros(19), np.arange(1.0, 20.0), level=0.9)
    assert (lo, hi) == (-18.0, 18.0)  # the 2nd smallest of -R and the 18th smallest of +R
    lo, hi = jackknife_plus(np.zeros(5), np.ones(5), level=0.95)
    assert lo == -np.inf and hi == np.inf  # five models cannot give a 95% interval


def test_too_few_curves_is_a_user_error(tmp_path):
    make_store(tmp_path, n_configs=8, curves=3)
    with pytest.raises(DataError, match="at least 5 configurations"):
        evaluate(_table(tmp_path))


def test_spearman_matches_scipy(study_store):
    root, _ = study_store
    result = evaluate(_table(root), n_boot=50)
    loo = result.loo[(result.loo["target"] == "perf_ref") & (result.loo["method"] == "recognizability")]
    expected = spearmanr(loo["measured"], loo["predicted"]).statistic
    assert _score(result, "perf_ref", "recognizability").spearman == pytest.approx(expected)
    assert isinstance(result.loo, pd.DataFrame)
