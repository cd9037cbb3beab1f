"""The paper's eight qualitative findings, each checked against a workspace's numbers.

Every check states its rule in its docstring and in ``Finding.test``; the rules are fixed tests
at the 5% level, never thresholds chosen to make a finding appear. A check gives
``reproduced`` when its test passes, ``not reproduced`` when the data are there and the test
fails, and ``not enough data`` when the store lacks what the test needs, or when even a perfect
result could not reach the 5% level (e.g. fewer than five pairs for a one-sided signed-rank
test, whose smallest p-value is 2^-n). A finding with several parts is reproduced only when
every part is, and not reproduced as soon as one part is not.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from synscale.report.data import VAL, CurveInfo, MissingData, ReportData, finite

ALPHA = 0.05
REPRODUCED, NOT_REPRODUCED, NOT_ENOUGH = "reproduced", "not reproduced", "not enough data"
MIN_PAIRS = 5  # a one-sided signed-rank test on n pairs cannot go below p = 2^-n
MIN_RANGE_SCALES = 4  # a power law judged on fewer scales would be tested on almost nothing


@dataclass(frozen=True)
class Finding:
    number: int
    claim: str
    verdict: str
    evidence: str  # the numbers, in words
    test: str  # the rule that decides the verdict

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Part:
    verdict: str
    evidence: str


def check_findings(data: ReportData) -> list[Finding]:
    return [check(data) for check in (power_law, cfg_tradeoff, prompt_diversity, in_domain_gap,
                                      ood_gap, class_groups, clip_mix, breaks_and_capacity)]


# -- 1 ---------------------------------------------------------------------------------------

def power_law(data: ReportData) -> Finding:
    """Every real or synthetic curve on val with at least 4 scales must hold the power law on at
    least 4 consecutive scales and on at least half of its scales, where "holds" is
    ``power_law_range``'s leave-one-scale-out test (every held-out scale within the two-sided
    5% Bonferroni threshold of the noise)."""
    claim = "Loss follows a power law of the training set size in the range studied."
    test = ("power_law_range on val: each left-out scale's standardised held-out error within "
            "the 5% Bonferroni threshold; a curve passes when the range spans >= 4 consecutive "
            "scales and >= half its scales; every real/synthetic curve with >= 4 scales must pass")
    parts = []
    for curve in data.curves:
        fit = data.fit(curve.key, VAL)
        if curve.kind == "mix" or fit is None or fit.get("n_scales", 0) < MIN_RANGE_SCALES:
            continue
        found = fit.get("power_law_range") or {}
        if "range_D" not in found:
            parts.append(Part(NOT_REPRODUCED, f"{curve.name}: no range ({found.get('error')})"))
            continue
        need = max(MIN_RANGE_SCALES, math.ceil(fit["n_scales"] / 2))
        lo, hi = found["range_D"]
        parts.append(Part(REPRODUCED if found["n_scales"] >= need else NOT_REPRODUCED,
                          f"{curve.name}: holds on D {lo:,.0f}-{hi:,.0f} ({found['n_scales']} of "
                          f"{fit['n_scales']} scales, worst held-out error "
                          f"{found['worst_error_sd']:.2f} sd)"))
    if not parts:
        return Finding(1, claim, NOT_ENOUGH, "no real or synthetic curve has a val fit with "
                       f"{MIN_RANGE_SCALES} or more scales", test)
    return Finding(1, claim, _combine(parts), "; ".join(p.evidence for p in parts), test)


# -- 2 ---------------------------------------------------------------------------------------

def cfg_tradeoff(data: ReportData) -> Finding:
    """(a) From the lowest to the highest CFG of each generator and prompt strategy,
    recognizability rises and diversity falls: per-class differences pooled over groups, one-sided
    Wilcoxon signed-rank tests, both p < 0.05. (b) -log L at D_I first rises then falls: in more
    than half of the groups with 3+ CFG values, the best CFG is neither the lowest nor the highest
    and its per-class val loss at D_I is lower than at both ends (one-sided signed-rank over
    classes, each p < 0.05)."""
    claim = ("CFG trades recognizability for diversity, and performance at D_I first rises then "
             "falls as CFG grows.")
    test = ("(a) lowest vs highest CFG per generator/prompts, per-class differences pooled, "
            "one-sided Wilcoxon signed-rank: recognizability up and diversity down, p < 0.05 "
            "each; (b) in > half of the groups with >= 3 CFG values the best CFG is interior and "
            "beats both ends on per-class val loss at D_I (signed-rank, p < 0.05 each)")
    grid = _grid(data)
    if grid.empty:
        return Finding(2, claim, NOT_ENOUGH, "no study grid in the store", test)
    groups = [g.sort_values("cfg") for _, g in grid.groupby(["generator", "prompts"])
              if g["cfg"].nunique() >= 2]
    pairs = [(g.iloc[-1]["dataset"], g.iloc[0]["dataset"]) for g in groups]
    trade = _paired_metrics(data, pairs, "recognizability", "greater", "higher CFG") + \
        _paired_metrics(data, pairs, "diversity", "less", "higher CFG")
    parts = [_combine_part(trade, "(a) "), _rise_then_fall(data, groups)]
    return Finding(2, claim, _combine(parts), "; ".join(p.evidence for p in parts), test)


def _rise_then_fall(data: ReportData, groups: list[pd.DataFrame]) -> Part:
    losses = data.grid_class_loss()
    results = []
    for g in (g for g in groups if g["cfg"].nunique() >= 3):
        best = int(np.argmax(g["perf_ref"].to_numpy()))
        name = f"{g.iloc[0]['generator']}/{g.iloc[0]['prompts']}"
        if best in (0, len(g) - 1):
            results.append((False, (f"{name}: best at the {'lowest' if best == 0 else 'highest'} "
                                   f"CFG {g.iloc[best]['cfg']:g}")))
            continue
        ends = [_paired(losses, "loss", g.iloc[best]["dataset"], g.iloc[i]["dataset"], "less")
                for i in (0, len(g) - 1)]
        if any(p is None for p, _ in ends):
            continue
        ok = all(p < ALPHA for p, _ in ends)
        results.append((ok, (f"{name}: best CFG {g.iloc[best]['cfg']:g}, lower loss than CFG "
                            f"{g.iloc[0]['cfg']:g} (p={ends[0][0]:.2g}) and {g.iloc[-1]['cfg']:g} "
                            f"(p={ends[1][0]:.2g})")))
    if not results:
        return Part(NOT_ENOUGH, "(b) no generator/prompts group has 3 CFG values with per-class "
                                "losses at D_I")
    passed = sum(ok for ok, _ in results)
    verdict = REPRODUCED if passed > len(results) / 2 else NOT_REPRODUCED
    return Part(verdict, f"(b) rise then fall in {passed} of {len(results)} groups: "
                         + ", ".join(text for _, text in results))


# -- 3 ---------------------------------------------------------------------------------------

def prompt_diversity(data: ReportData) -> Finding:
    """For each generator and CFG with 2+ prompt strategies, the strategy with most distinct
    prompts per class (counted in the datasets' manifests) against the one with fewest:
    per-class recognizability lower and diversity higher, pooled, one-sided Wilcoxon
    signed-rank, both p < 0.05."""
    claim = "More diverse prompts move configurations toward lower recognizability and higher " \
            "diversity."
    test = ("per generator and CFG: most vs fewest distinct prompts per class (manifests); "
            "per-class differences pooled, one-sided Wilcoxon signed-rank: recognizability down "
            "and diversity up, p < 0.05 each")
    grid = _grid(data)
    if grid.empty:
        return Finding(3, claim, NOT_ENOUGH, "no study grid in the store", test)
    grid = grid.assign(prompt_count=grid["dataset"].map(lambda d: _prompts_per_class(data, d)))
    pairs = []
    for _, g in grid.dropna(subset=["prompt_count"]).groupby(["generator", "cfg"]):
        g = g.sort_values("prompt_count")
        if len(g) >= 2 and g.iloc[-1]["prompt_count"] > g.iloc[0]["prompt_count"]:
            pairs.append((g.iloc[-1]["dataset"], g.iloc[0]["dataset"]))
    results = _paired_metrics(data, pairs, "recognizability", "less", "more prompts") + \
        _paired_metrics(data, pairs, "diversity", "greater", "more prompts")
    part = _combine_part(results, f"{len(pairs)} generator/CFG pairs: ")
    return Finding(3, claim, part.verdict, part.evidence, test)


# -- 4 ---------------------------------------------------------------------------------------

def in_domain_gap(data: ReportData) -> Finding:
    """The synthetic curve with the largest k on val (same classifier as the real curve) has a
    smaller k than the real curve: one-sided t-test on the difference of the two k with their
    standard errors, dof the smaller of the two fits', p < 0.05."""
    claim = "Synthetic data scale worse than real data in-domain (synthetic k < real k)."
    test = ("best synthetic k (val, study classifier) vs real k: t = (k_real - k_syn) / "
            "sqrt(se_real^2 + se_syn^2), dof = min of the fits', one-sided p < 0.05")
    pair = _best_pair(data, VAL)
    if pair is None:
        return Finding(4, claim, NOT_ENOUGH, "no power-law fits of both a real and a synthetic "
                                             "curve of the same classifier on val", test)
    real, syn, others = pair[0], pair[1], pair[2]
    real_fit, syn_fit = data.fit(real.key, VAL), data.fit(syn.key, VAL)
    p = _k_difference(real_fit, syn_fit)
    evidence = (f"{real.name} k={real_fit['k']:.3f} [{_ci(real_fit)}], best synthetic {syn.name} "
                f"k={syn_fit['k']:.3f} [{_ci(syn_fit)}], p={p:.2g}"
                + (f"; other synthetic: {others}" if others else ""))
    return Finding(4, claim, REPRODUCED if p < ALPHA else NOT_REPRODUCED, evidence, test)


# -- 5 ---------------------------------------------------------------------------------------

def ood_gap(data: ReportData) -> Finding:
    """(a) The k gap between real and the best synthetic curve (chosen on val) is smaller on the
    OOD set with the largest shift (the real curve's drop of -log L at D_I from val) than on val:
    one-sided z-test on the difference of gaps, p < 0.05. (b) On some OOD set a synthetic curve at
    its largest scale has a lower predicted loss than the real curve at its largest scale:
    one-sided t-test on log loss with the fits' prediction errors, Bonferroni over the
    (set, curve) pairs tested."""
    claim = ("The synthetic-real gap narrows on OOD sets with a larger shift, and synthetic data "
             "can beat real data there.")
    test = ("(a) gap = k_real - k_syn (best synthetic on val); gap(val) - gap(largest-shift set) "
            "> 0, one-sided z, p < 0.05; (b) predicted log loss of a synthetic curve at its "
            "largest D below the real curve's at its largest D, one-sided t, Bonferroni over "
            "sets x curves")
    val = _best_pair(data, VAL)
    if val is None or not data.ood_sets:
        return Finding(5, claim, NOT_ENOUGH, "no OOD set, or no real and synthetic fits on val",
                       test)
    real, syn, syn_name = val[0].key, val[1].key, val[1].name
    shifts = {s: _shift(data, real, s) for s in data.ood_sets}
    shifts = {s: v for s, v in shifts.items() if v is not None and data.fit(syn, s)}
    if not shifts:
        return Finding(5, claim, NOT_ENOUGH, f"no fits of {val[0].name} and {syn_name} on an OOD set",
                       test)
    far = max(shifts, key=shifts.get)
    gaps = {s: (data.fit(real, s), data.fit(syn, s)) for s in (VAL, far)}
    diff = _gap(gaps[VAL]) - _gap(gaps[far])
    se = math.sqrt(sum(f["stderr"]["k"] ** 2 for pair in gaps.values() for f in pair))
    p_gap = float(stats.norm.sf(diff / se)) if se > 0 else float("nan")
    narrows = Part(REPRODUCED if p_gap < ALPHA else NOT_REPRODUCED,
                   "(a) shift (drop of real -log L at D_I): " + ", ".join(
                       f"{s} {v:.2f}" for s, v in shifts.items())
                   + f"; gap k_real - k_{syn_name}: val {_gap(gaps[VAL]):.3f}, {far} "
                     f"{_gap(gaps[far]):.3f}, narrowing p={p_gap:.2g}")
    beats = _beats_real(data, real)
    return Finding(5, claim, _combine([narrows, beats]), f"{narrows.evidence}; {beats.evidence}",
                   test)


def _beats_real(data: ReportData, real: str) -> Part:
    tests = []
    for set_name in data.ood_sets:
        real_fit = data.fit_result(real, set_name)
        if real_fit is None:
            continue
        for curve in data.curves_of("syn", data.base_model):
            syn_fit = data.fit_result(curve.key, set_name)
            if syn_fit is not None:
                tests.append((set_name, curve.name, _lower_loss(syn_fit, real_fit)))
    if not tests:
        return Part(NOT_ENOUGH, "(b) no synthetic and real fits on an OOD set")
    cut = ALPHA / len(tests)
    wins = [f"{s}: {name} (p={p:.2g})" for s, name, p in tests if p < cut]
    best = min(tests, key=lambda t: t[2])
    return Part(REPRODUCED if wins else NOT_REPRODUCED,
                "(b) synthetic below real at the largest scales: "
                + (", ".join(wins) if wins else
                   f"none of {len(tests)} (best {best[0]}: {best[1]}, p={best[2]:.2g}, "
                   f"Bonferroni cut {cut:.2g})"))


# -- 6 ---------------------------------------------------------------------------------------

def class_groups(data: ReportData) -> Finding:
    """(a) Classes differ in scaling ability: Cochran's Q test of equal per-class k on val
    (standard errors from the 95% intervals as half-width / 1.96, conservative for t-intervals),
    p < 0.05. (b) Some class scales better on synthetic than on real data: per class, one-sided
    z-test of k_syn > k_real, Bonferroni over the classes; at least one class passes."""
    claim = ("Classes fall into scaling / easy / poor groups, and some classes scale better on "
             "synthetic than on real data.")
    test = ("(a) Cochran's Q of per-class k (se = 95% half-width / 1.96), p < 0.05; (b) per "
            "class z = (k_syn - k_real) / sqrt(se_syn^2 + se_real^2), one-sided, Bonferroni over "
            "classes, at least one class significant")
    try:
        curve, table = data.class_curve()
    except MissingData as exc:
        return Finding(6, claim, NOT_ENOUGH, str(exc), test)
    se = (table["k_hi"] - table["k_lo"]) / (2 * 1.96)
    usable = se.notna() & (se > 0) & table["k"].notna()
    k, w = table.loc[usable, "k"], 1 / se[usable] ** 2
    if usable.sum() < 2:
        return Finding(6, claim, NOT_ENOUGH, "fewer than two classes with a bounded k interval",
                       test)
    q = float((w * (k - (w * k).sum() / w.sum()) ** 2).sum())
    p_q = float(stats.chi2.sf(q, usable.sum() - 1))
    counts = table["class_group"].value_counts().to_dict()
    heterogeneity = Part(REPRODUCED if p_q < ALPHA else NOT_REPRODUCED,
                         f"(a) {data.curve(curve).name}: groups " + ", ".join(
                             f"{g} {n}" for g, n in sorted(counts.items()))
                         + f"; per-class k from {k.min():.3f} to {k.max():.3f}, Cochran's Q="
                           f"{q:.1f} on {usable.sum() - 1} dof, p={p_q:.2g}")
    better = _beats_real_classes(table, se)
    return Finding(6, claim, _combine([heterogeneity, better]),
                   f"{heterogeneity.evidence}; {better.evidence}", test)


def _beats_real_classes(table: pd.DataFrame, se: pd.Series) -> Part:
    real_se = (table["real_k_hi"] - table["real_k_lo"]) / (2 * 1.96)
    z = (table["k"] - table["real_k"]) / np.sqrt(se**2 + real_se**2)
    z = z[np.isfinite(z.astype(float))]
    if z.empty:
        return Part(NOT_ENOUGH, "(b) no per-class k of a real curve to compare with")
    cut = ALPHA / len(z)
    p = pd.Series(stats.norm.sf(z.astype(float)), index=z.index)
    better = table.loc[p[p < cut].index, "class_id"].tolist()
    higher = int((table["k"] > table["real_k"]).sum())
    return Part(REPRODUCED if better else NOT_REPRODUCED,
                f"(b) {higher} of {len(z)} classes have a higher synthetic than real k; "
                f"significant (p < {cut:.2g}): {better or 'none'} (smallest p={p.min():.2g})")


# -- 7 ---------------------------------------------------------------------------------------

def clip_mix(data: ReportData) -> Finding:
    """Needs CLIP runs on real, synthetic and real+synthetic data at several scales."""
    claim = "Real + synthetic data train a better CLIP than real data alone at small scale."
    test = ("CLIP zero-shot val top-1 of real+synthetic (mix) above real at each of the two "
            "smallest scales both have (report/clip.py)")
    from synscale.report.clip import mix_beats_real

    verdict, evidence = mix_beats_real(data.workspace)
    return Finding(7, claim, verdict or NOT_ENOUGH, evidence, test)


# -- 8 ---------------------------------------------------------------------------------------

def breaks_and_capacity(data: ReportData) -> Finding:
    """(a) Some synthetic curve of the study's classifier breaks: ``power_law_range`` finds a
    scale past which the held-out error exceeds noise. (b) For every synthetic curve that breaks
    and is also trained with a classifier of more parameters, the larger classifier's power-law
    range reaches a larger scale."""
    claim = "The power law breaks past a scale, and a larger classifier postpones the break."
    test = ("(a) power_law_range (held-out test, Bonferroni 5%) finds a break above the range "
            "of a synthetic curve on val; (b) each breaking curve's data trained with a larger "
            "classifier (more parameters) holds to a larger D")
    ranges = {c.key: (data.fit(c.key, VAL) or {}).get("power_law_range") or {}
              for c in data.curves_of("syn")}
    ranges = {k: r for k, r in ranges.items() if "range_D" in r}
    base = [c for c in data.curves_of("syn", data.base_model) if c.key in ranges]
    if not any(ranges[c.key]["n_scales_total"] >= MIN_RANGE_SCALES for c in base):
        return Finding(8, claim, NOT_ENOUGH, "no synthetic curve of the study's classifier with "
                       f"{MIN_RANGE_SCALES}+ scales on val", test)
    broken = [c for c in base if ranges[c.key]["break_D"] is not None]
    found = Part(REPRODUCED if broken else NOT_REPRODUCED, "(a) " + ", ".join(
        f"{c.name}: holds to D {ranges[c.key]['range_D'][1]:,.0f}"
        + (f", breaks near {ranges[c.key]['break_D']:,.0f}" if c in broken else
           " (its last scale; no break)") for c in base))
    postponed = []
    for c in broken:
        for other in data.curves:
            if other.data == c.data and other.key in ranges and \
                    _parameters(other.model) > _parameters(c.model):
                postponed.append((ranges[other.key]["range_D"][1] > ranges[c.key]["range_D"][1],
                                  (f"{other.name} ({other.model}) holds to D "
                                  f"{ranges[other.key]['range_D'][1]:,.0f} vs {c.name} to "
                                  f"{ranges[c.key]['range_D'][1]:,.0f}")))
    capacity = Part(NOT_ENOUGH, "(b) no breaking curve was also trained with a larger classifier") \
        if not postponed else Part(REPRODUCED if all(ok for ok, _ in postponed) else NOT_REPRODUCED,
                                   "(b) " + "; ".join(text for _, text in postponed))
    return Finding(8, claim, _combine([found, capacity]),
                   f"{found.evidence}; {capacity.evidence}", test)


# -- shared tests ----------------------------------------------------------------------------

def _combine(parts: list[Part]) -> str:
    verdicts = {p.verdict for p in parts}
    if NOT_REPRODUCED in verdicts:
        return NOT_REPRODUCED
    return NOT_ENOUGH if NOT_ENOUGH in verdicts or not parts else REPRODUCED


def _combine_part(results: list[Part], prefix: str) -> Part:
    return Part(_combine(results), prefix + "; ".join(p.evidence for p in results))


def _grid(data: ReportData) -> pd.DataFrame:
    if data.grid.empty:
        return data.grid
    return data.grid.dropna(subset=["perf_ref"]).drop_duplicates("dataset")


def _paired_metrics(data: ReportData, pairs: list[tuple[str, str]], metric: str,
                    alternative: str, change: str) -> list[Part]:
    """One-sided signed-rank test of ``metric`` per class, first dataset of each pair minus
    the second, pooled over pairs."""
    diffs = []
    for a, b in pairs:
        ma, mb = data.class_measurements(a), data.class_measurements(b)
        if ma.empty or mb.empty:
            continue
        both = ma.merge(mb, on="class_id", suffixes=("_a", "_b"))
        diffs.extend((both[f"{metric}_a"] - both[f"{metric}_b"]).dropna().tolist())
    if len(diffs) < MIN_PAIRS:
        return [Part(NOT_ENOUGH, f"{metric}: {len(diffs)} class pairs measured (need "
                                 f"{MIN_PAIRS})")]
    p = _signed_rank(np.array(diffs), alternative)
    return [Part(REPRODUCED if p < ALPHA else NOT_REPRODUCED,
                 f"{metric} with {change}: mean change {np.mean(diffs):+.3f} over {len(diffs)} "
                 f"class pairs, p={p:.2g}")]


def _paired(frame: pd.DataFrame, column: str, a: str, b: str,
            alternative: str) -> tuple[float | None, int]:
    """Signed-rank p of ``column`` per class, dataset ``a`` minus ``b``."""
    both = frame[frame["dataset"] == a].merge(frame[frame["dataset"] == b], on="class_id")
    diffs = (both[f"{column}_x"] - both[f"{column}_y"]).dropna().to_numpy()
    if len(diffs) < MIN_PAIRS:
        return None, len(diffs)
    return _signed_rank(diffs, alternative), len(diffs)


def _signed_rank(diffs: np.ndarray, alternative: str) -> float:
    if not np.any(diffs != 0):
        return 1.0
    return float(stats.wilcoxon(diffs, alternative=alternative).pvalue)


def _best_pair(data: ReportData, set_name: str) -> tuple[CurveInfo, CurveInfo, str] | None:
    """The real curve and the synthetic curve with the largest k, both of the study's
    classifier and fitted on ``set_name`` (and the other synthetic k as text)."""
    reals = [c for c in data.curves_of("real", data.base_model) if data.fit(c.key, set_name)]
    syns = [c for c in data.curves_of("syn", data.base_model) if data.fit(c.key, set_name)]
    if not reals or not syns:
        return None
    syns.sort(key=lambda c: -data.fit(c.key, set_name)["k"])
    others = ", ".join(f"{c.name} {data.fit(c.key, set_name)['k']:.3f}" for c in syns[1:])
    return reals[0], syns[0], others


def _k_difference(real: dict, syn: dict) -> float:
    """One-sided p that the real k exceeds the synthetic k."""
    se = math.hypot(real["stderr"]["k"], syn["stderr"]["k"])
    dof = max(min(real["dof"], syn["dof"]), 1)
    return float(stats.t.sf((real["k"] - syn["k"]) / se, dof)) if se > 0 else float("nan")


def _gap(pair: tuple[dict, dict]) -> float:
    return pair[0]["k"] - pair[1]["k"]


def _shift(data: ReportData, real: str, set_name: str) -> float | None:
    """How far a set is from val for the real curve: the drop of its -log L at D_I."""
    on_val, on_set = data.fit(real, VAL), data.fit(real, set_name)
    if on_val is None or on_set is None:
        return None
    return finite(on_val["params"]["perf_ref"] - on_set["params"]["perf_ref"])


def _lower_loss(syn: Any, real: Any) -> float:
    """One-sided p that the synthetic fit's loss at its largest scale is below the real fit's at
    its largest, from the fits' prediction intervals (each half-width / t quantile = its se)."""
    def log_and_se(fit: Any) -> tuple[float, float, int]:
        pred = fit.predict(fit.D.max())
        q = stats.t.ppf(0.5 + pred.level / 2, max(fit.dof, 1))
        return (float(np.log(pred.loss[0])),
                float(np.log(pred.upper[0] / pred.loss[0]) / q), max(fit.dof, 1))
    (ls, ss, ds), (lr, sr, dr) = log_and_se(syn), log_and_se(real)
    return float(stats.t.sf((lr - ls) / math.hypot(ss, sr), min(ds, dr)))


def _ci(fit: dict) -> str:
    return ", ".join("unbounded" if v is None else f"{v:.3f}" for v in fit["k_ci"])


def _prompts_per_class(data: ReportData, dataset: str) -> float | None:
    path = data.workspace / "datasets" / dataset / "manifest.parquet"
    if not path.is_file():
        return None
    manifest = pd.read_parquet(path, columns=["class_id", "prompt"])
    return float(manifest.groupby("class_id")["prompt"].nunique().mean())


@cache
def _parameters(model: str) -> int:
    """Parameter count of a classifier, built on the meta device (no memory, no weights)."""
    import torch

    from synscale.train.models import create_classifier

    with torch.device("meta"):
        net = create_classifier(model, 10, 3)
    return sum(p.numel() for p in net.parameters())
