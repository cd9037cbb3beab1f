"""The report: the paper's figures and findings from a workspace's results store.

``build_report(workspace)`` writes one self-contained HTML page; ``ReportData.load(workspace)``
plus the functions of ``synscale.report.figures`` draw any figure alone, and ``check_findings``
gives the verdicts.
"""

from synscale.report.build import Report, build_report
from synscale.report.data import MissingData, ReportData
from synscale.report.findings import Finding, check_findings

__all__ = ["Finding", "MissingData", "Report", "ReportData", "build_report", "check_findings"]
