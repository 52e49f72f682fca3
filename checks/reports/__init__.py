"""Counterexample and walkthrough reports a person can read, and the mode comparison.

``python -m checks.verify --out DIR`` writes one folder per walkthrough and per
failing or vacuous verdict (Markdown, a self-contained HTML page with an SVG
timeline, the state graph, JSON and ITF traces) plus an index; ``python -m
checks.verify compare`` puts the costs of the four failure-handling modes side by side.
"""

from checks.reports.write import trace_document, write_report_folder, write_reports

__all__ = ["write_reports", "write_report_folder", "trace_document"]
