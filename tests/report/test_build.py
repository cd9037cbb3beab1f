"""The page: self-contained, says what is missing, and the CLI around it."""

from __future__ import annotations

import re

from synscale.report import build_report


def test_report_is_one_self_contained_page_with_figures_beside_it(built_report):
    report = built_report
    html = report.path.read_text()
    assert len(re.findall(r"src='data:image/png;base64,", html)) == 6  # figures 2-7; no CLIP
    text = re.sub(r"(base64,)[A-Za-z0-9+/=]+", r"\1", html)
    assert not re.search(r"https?:|//|url\(|src='(?!data:)", text)  # no URL outside the images
    assert set(report.figures) == {f"figure{i}" for i in range(2, 8)}
    for paths in report.figures.values():
        assert paths["png"].stat().st_size > 0 and paths["svg"].read_text().startswith("<?xml")
    assert html.count("<td class='verdict'") == 8
    assert "no CLIP runs" in html


def test_a_store_without_ood_or_clip_runs_says_what_is_missing(bare_root, tmp_path):
    report = build_report(bare_root, tmp_path / "report.html")
    html = report.path.read_text()
    assert "Missing from this workspace's store" in html
    assert "no run was evaluated on an OOD set" in html and "no CLIP runs" in html
    assert "figure4" not in report.figures and "figure3" in report.figures


def test_cli_prints_the_verdicts_as_json(cli, store_root, tmp_path):
    result = cli("report", "-w", store_root, "--out", tmp_path / "r.html", "--json")
    assert result.code == 0
    rows = result.json_lines()
    assert [r["number"] for r in rows] == list(range(1, 9))
    assert {r["verdict"] for r in rows} <= {"reproduced", "not reproduced", "not enough data"}


def test_cli_missing_workspace_is_one_line_and_exit_2(cli, tmp_path):
    result = cli("report", "-w", tmp_path / "nothing")
    assert result.code == 2 and result.err.count("\n") == 1 and "does not exist" in result.err
