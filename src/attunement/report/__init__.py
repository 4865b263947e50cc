"""A session's results as a report: one self-contained HTML file, results.json, utterances.csv.

- :func:`write_outputs` writes the three files of a session atomically;
- :func:`render_report` renders the HTML report (Plotly figures, the metric cards read from
  :mod:`attunement.metrics`, the methods paragraph);
- :func:`methods_paragraph` writes the methods paragraph from the results' provenance;
- :func:`safe_csv` writes CSV that a spreadsheet cannot run as formulas.
"""

from typing import TYPE_CHECKING

from attunement._lazy import lazy_exports

if TYPE_CHECKING:
    from attunement.report.csvsafe import safe_csv, safe_csv_text
    from attunement.report.html import render_report
    from attunement.report.methods import methods_paragraph
    from attunement.report.write import write_outputs

# Imported on first use, so that writing a CSV does not load Plotly and the templates.
_LAZY = {
    "safe_csv": "attunement.report.csvsafe",
    "safe_csv_text": "attunement.report.csvsafe",
    "render_report": "attunement.report.html",
    "methods_paragraph": "attunement.report.methods",
    "write_outputs": "attunement.report.write",
}


__getattr__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "methods_paragraph",
    "render_report",
    "safe_csv",
    "safe_csv_text",
    "write_outputs",
]
