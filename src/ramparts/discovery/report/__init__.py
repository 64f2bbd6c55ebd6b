"""Report writers: JSON, CSV, self-contained HTML and a rich terminal summary."""

from ramparts.discovery.report.csv import write_csv
from ramparts.discovery.report.html import render_html
from ramparts.discovery.report.json import render_json
from ramparts.discovery.report.terminal import print_summary

__all__ = ["print_summary", "render_html", "render_json", "write_csv"]
