"""``synscale fit`` through the real entry point: curve files, workspaces and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from synscale.store import ResultsStore, RunRecord, SetMetrics


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_table1_slopes_from_the_command_line(cli, table1_csv: Path) -> None:
    result = cli("fit", "--curves", table1_csv, "--law", "power", "--ref-scale", "1.3e6", "--json")
    assert result.code == 0, result.err
    fits = {row["curve"]: row for row in result.json_lines()}
    assert fits["syn"]["k"] == pytest.approx(0.0974, abs=1e-3)
    assert fits["real"]["k"] == pytest.approx(0.1652, abs=1e-3)
    for row in fits.values():
        assert (
            row["law"] == "power"
            and len(row["k_ci"]) == 2
            and row["k_ci"][0] < row["k"] < row["k_ci"][1]
        )
        assert set(row["params"]) == {"k", "perf_ref"} and row["ref_scale"] == 1.3e6


def test_holdout_and_broken_law_keys(cli, tmp_path: Path) -> None:
    scales = np.geomspace(1e3, 1e6, 10)
    loss = 0.05 + 3.0 * scales**-0.05 * (1 + (scales / 3e4) ** (1 / 0.3)) ** (-0.6 * 0.3)
    csv = write(
        tmp_path / "c.csv", "curve,D,loss\n" + "".join(f"b,{d},{v}\n" for d, v in zip(scales, loss))
    )
    result = cli(
        "fit",
        "--curves",
        csv,
        "--law",
        "broken",
        "--law",
        "saturating",
        "--holdout-last",
        "2",
        "--boot",
        "50",
        "--json",
    )
    assert result.code == 0, result.err
    broken, saturating = result.json_lines()
    assert broken["law"] == "broken" and broken["break_D"] == pytest.approx(3e4, rel=0.05)
    assert broken["heldout_rmse_log"] < 0.01 and broken["heldout_n"] == 2
    assert saturating["law"] == "saturating" and "break_D" not in saturating
    table = cli("fit", "--curves", csv, "--law", "saturating", "--boot", "20")
    assert table.code == 0 and "saturating" in table.out


@pytest.mark.parametrize(
    ("body", "args", "message"),
    [
        (
            "curve,D,loss\na,1,1.0\na,2,0.9\n",
            (),
            "has 2 distinct scales; the power law (2 parameters) needs at least 3",
        ),
        ("curve,D,loss\na,1,1.0\na,2,0.9\na,4,0.8\n", ("--law", "saturating"), "needs at least 4"),
        ("curve,D,loss\na,1,1.0\na,2,-0.9\na,4,0.8\n", (), "row 2: loss must be > 0, got -0.9"),
        ("curve,D,loss\na,0,1.0\na,2,0.9\na,4,0.8\n", (), "row 1: D must be > 0"),
        ("curve,D,loss\na,1,1.0\na,2,nan\na,4,0.8\n", (), "row 2: loss is not a finite number"),
        ("curve,D,loss\na,1,1.0\na,2,abc\na,4,0.8\n", (), "loss is not a finite number ('abc')"),
        ("curve,D\na,1\na,2\na,4\n", (), "missing column 'loss'"),
        (
            "curve,D,loss\na,1,1.0\na,2,0.9\na,4,0.8\n",
            ("--ref-scale", "0"),
            "reference scale must be a positive",
        ),
        (
            "curve,D,loss\na,1,1.0\na,2,0.9\na,4,0.8\n",
            ("--ref-scale", "-5"),
            "Invalid value for '--ref-scale'",
        ),
        (
            "curve,D,loss\na,1,1.0\na,2,0.9\na,4,0.8\n",
            ("--law", "cubic"),
            "unknown scaling law 'cubic'; valid",
        ),
        (
            "curve,D,loss\na,1,1.0\na,2,0.9\na,4,0.8\n",
            ("--holdout-last", "0"),
            "Invalid value for '--holdout-last': Input should be greater than or equal to 1",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    cli, tmp_path: Path, body: str, args: tuple[str, ...], message: str
) -> None:
    result = cli("fit", "--curves", write(tmp_path / "bad.csv", body), *args)
    assert result.code == 2
    assert result.err.count("\n") == 1 and result.err.startswith("error: ")
    assert message in result.err
    assert "Traceback" not in result.err + result.out


def test_curves_or_workspace_but_not_both(cli, tmp_path: Path, table1_csv: Path) -> None:
    for args in ((), ("--curves", table1_csv, "--workspace", tmp_path)):
        result = cli("fit", *args)
        assert result.code == 2 and "exactly one of --curves" in result.err
    missing = cli("fit", "--curves", tmp_path / "none.csv")
    assert missing.code == 2 and "curve file not found" in missing.err


def _run(data: str, scale: int, seed: int, val: float, sketch: float) -> RunRecord:
    def metrics(loss: float) -> SetMetrics:
        classes = [
            {"class_id": c, "loss": loss * (1 + 0.1 * c), "top1": 0.5, "n": 50} for c in (0, 1)
        ]
        return SetMetrics(loss, 0.5, 100, classes)

    return RunRecord(
        f"{data}-{scale}-{seed}",
        "mini",
        data,
        "mini_resnet",
        scale,
        seed,
        100,
        1.0,
        0.0,
        1.0,
        {},
        {"val": metrics(val), "sketch": metrics(sketch)},
    )


def test_workspace_fits_every_stored_curve_and_stores_them(cli, tmp_path: Path) -> None:
    with ResultsStore(tmp_path / "results.duckdb") as store:
        for scale in (125, 250, 500, 1000, 2000):
            for seed in (0, 1):
                wiggle = 1 + 0.01 * (seed - 0.5)
                store.add_run(
                    _run("real", scale, seed, 3 * scale**-0.3 * wiggle, 4 * scale**-0.2 * wiggle)
                )
                store.add_run(
                    _run("syn", scale, seed, 3 * scale**-0.2 * wiggle, 4 * scale**-0.15 * wiggle)
                )
    result = cli("fit", "--workspace", tmp_path, "--json")
    assert result.code == 0, result.err
    rows = result.json_lines()
    assert {(r["set"], r["curve"]) for r in rows} == {
        (s, f"mini/{d}/mini_resnet") for s in ("val", "sketch") for d in ("real", "syn")
    }
    val_real = next(
        r for r in rows if r["set"] == "val" and r["curve"].endswith("real/mini_resnet")
    )
    assert val_real["k"] == pytest.approx(0.3, abs=1e-6) and val_real["n_points"] == 10
    with ResultsStore(tmp_path / "results.duckdb") as store:
        fits = store.table("fits")
    assert len(fits) == 4 and set(fits["law"]) == {"power"}
    # A law that needs more scales than stored is skipped per curve; if nothing fits, exit 2.
    skipped = cli("fit", "--workspace", tmp_path, "--law", "broken")
    assert skipped.code == 2 and "no stored curve could be fitted" in skipped.err


def test_workspace_without_results(cli, tmp_path: Path) -> None:
    result = cli("fit", "--workspace", tmp_path)
    assert result.code == 2 and "has no results store yet" in result.err
    result = cli("fit", "--workspace", tmp_path / "nowhere")
    assert result.code == 2 and "does not exist" in result.err
