"""The report's tables as lists of rows (dicts): Figure 1's message, the fits, provenance."""

from __future__ import annotations

import json
import platform
from importlib import metadata
from typing import Any

from synscale.report.data import MissingData, ReportData, finite

LIBRARIES = ("torch", "numpy", "scipy", "pandas", "duckdb", "matplotlib", "timm")


def headline(data: ReportData) -> list[dict[str, Any]]:
    """Figure 1 as a table: per set, k and -log L at D_I of the real curve and of the best
    synthetic curve (largest k on that set), and every mixed curve, of the study's classifier."""
    rows = []
    for set_name in data.sets:
        for kind in ("real", "syn", "mix"):
            fitted = [(c, data.fit(c.key, set_name)) for c in data.curves_of(kind, data.base_model)]
            fitted = sorted(((c, f) for c, f in fitted if f is not None), key=lambda cf: -cf[1]["k"])
            for curve, fit in fitted[:1] if kind != "mix" else fitted:
                rows.append({"set": set_name, "data": {"real": "real", "syn": "best synthetic",
                                                       "mix": "real + synthetic"}[kind],
                             "curve": curve.name, "k": fit["k"], "k interval": _interval(fit),
                             "-log L at D_I": fit["params"]["perf_ref"]})
    if not rows:
        raise MissingData("no power-law fit of a curve of the study's classifier")
    return rows


def exchange(data: ReportData) -> list[dict[str, Any]]:
    """The exchange rate (synthetic images worth one real image) at every real scale."""
    if data.exchange.empty:
        raise MissingData("no exchange rate stored (run `synscale exchange` or a study with "
                          "analysis.exchange)")
    names = {c.key: c.name for c in data.curves}
    return [{"set": r.set_name, "synthetic": names.get(r.synthetic, r.synthetic),
             "real": names.get(r.real, r.real), "D real": r.D_real, "D synthetic": r.D_synthetic,
             "rate": r.rate, "rate interval": _pair(r.rate_lo, r.rate_hi),
             "P(reachable)": r.reachable} for r in data.exchange.itertuples()]


def fits(data: ReportData) -> list[dict[str, Any]]:
    """Every stored fit: law, parameters with intervals, held-out error and power-law range."""
    if not data.fit_rows:
        raise MissingData("no fits stored (run `synscale fit -w` or a study)")
    names = {c.key: c.name for c in data.curves}
    rows = []
    for row in data.fit_rows:
        result = row["result"]
        found = result.get("power_law_range") or {}
        rows.append({
            "set": row["set_name"], "curve": names.get(row["curve"], row["curve"]),
            "law": row["law"],
            "parameters": ", ".join(f"{k}={v:.4g} [{_pair(*result['ci'].get(k, (None, None)))}]"
                                    for k, v in result["params"].items()),
            "points": result.get("n_points"), "sd log L": result.get("sigma_log"),
            "held-out rmse log": result.get("heldout_rmse_log", ""),
            "power law holds on": _pair(*found["range_D"], fmt="{:,.0f}") if "range_D" in found
            else found.get("error", ""),
            "worst held-out error (sd)": found.get("worst_error_sd", ""),
            "break D": found.get("break_D") or ""})
    return rows


def provenance(data: ReportData) -> dict[str, list[dict[str, Any]]]:
    """Versions, commands, generator identities (from the dataset cards) and durations."""
    versions = [{"package": "synscale", "version": package_version("synscale")},
                {"package": "python", "version": platform.python_version()}]
    versions += [{"package": name, "version": package_version(name)} for name in LIBRARIES]
    commands = [{"study": r.study, "command": f"synscale study run {r.source} -w {data.workspace}"}
                for r in data.studies.itertuples()] if not data.studies.empty else []
    return {"versions": versions, "commands": commands, "generators": _generators(data),
            "durations": _durations(data)}


def _generators(data: ReportData) -> list[dict[str, Any]]:
    rows = []
    for dataset in data.datasets.get("dataset", []):
        card = data.workspace / "datasets" / dataset / "card.json"
        identity = json.loads(card.read_text()).get("generator_identity", {}) if card.is_file() \
            else {"(card)": "missing"}
        rows.append({"dataset": dataset, "identity": ", ".join(f"{k}={_short(v)}"
                                                               for k, v in identity.items())})
    return rows


def _durations(data: ReportData) -> list[dict[str, Any]]:
    names = {c.key: c.name for c in data.curves}
    runs = data.runs.assign(curve=data.runs["world"] + "/" + data.runs["data"] + "/"
                            + data.runs["model"])
    rows = [{"curve": names.get(key, key), "runs": len(group),
             "training seconds": float(group["seconds"].sum())}
            for key, group in runs.groupby("curve", sort=False)]
    rows.append({"curve": "all runs", "runs": len(runs),
                 "training seconds": float(runs["seconds"].sum())})
    return rows


def package_version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _interval(fit: dict[str, Any]) -> str:
    return _pair(*fit["k_ci"])


def _pair(lo: Any, hi: Any, fmt: str = "{:.4g}") -> str:
    return " .. ".join("unbounded" if finite(v) is None else fmt.format(v) for v in (lo, hi))


def _short(value: Any) -> str:
    text = str(value)
    return text[:12] + "..." if len(text) > 16 and all(c in "0123456789abcdef" for c in text) \
        else text

