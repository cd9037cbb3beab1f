"""Findings on stores whose answer is known by construction."""

from __future__ import annotations

from report_store import build_store

from synscale.report import ReportData, check_findings
from synscale.report.findings import NOT_ENOUGH, NOT_REPRODUCED, REPRODUCED


def verdicts(root) -> dict[int, str]:
    return {f.number: f.verdict for f in check_findings(ReportData.load(root))}


def test_known_answers_of_the_hand_built_store(store_root):
    findings = {f.number: f for f in check_findings(ReportData.load(store_root))}
    assert len(findings) == 8
    # CFG 1 -> 4 raises recognizability and lowers diversity; CFG 2 is best: built in.
    assert findings[2].verdict == REPRODUCED
    # The 8-prompt strategy is built less recognizable and more diverse.
    assert findings[3].verdict == REPRODUCED
    # Real k = 0.3 per class against synthetic per-class k averaging 0.17.
    assert findings[4].verdict == REPRODUCED and "p=" in findings[4].evidence
    # Synthetic class 5 has k = 0.45 > real 0.3.
    assert findings[6].verdict == REPRODUCED and "[5]" in findings[6].evidence
    assert findings[7].verdict == NOT_ENOUGH and "no CLIP runs" in findings[7].evidence
    # One classifier only: the capacity half of finding 8 cannot be judged.
    assert findings[8].verdict == NOT_ENOUGH
    assert "real: holds on D 125-1,000 (4 of 4 scales" in findings[1].evidence


def test_synthetic_scaling_like_real_is_not_reported_as_a_gap(tmp_path):
    # Synthetic per-class k scaled so that the synthetic curve scales faster than the real one.
    found = verdicts(build_store(tmp_path / "ws", syn_k_scale=2.5))
    assert found[4] == NOT_REPRODUCED


def test_without_ood_sets_finding_5_lacks_data(bare_root):
    found = verdicts(bare_root)
    assert found[5] == NOT_ENOUGH and found[4] == REPRODUCED
