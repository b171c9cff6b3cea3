"""Interactive, offline HTML views of rings, neighbourhoods and runs.

Every page is one self-contained HTML file: vis-network and all styles are inlined, a
strict Content-Security-Policy forbids any request, and all data (untrusted: ids, names,
reasons, ring ids) reaches the page only as escaped text or through a JSON script block.

- :func:`ring_view` — one ring (members plus context) with search, filters, tooltips and
  an evidence table.
- :func:`ego_view` — the neighbourhood of one entity, capped in size.
- :func:`run_report` / :func:`write_run_report` — the run's index page with charts.
- :func:`safe_filename` / :func:`ring_filename` — file names from untrusted ids.
"""

from __future__ import annotations

from ringlens.viz._common import ring_filename, safe_filename
from ringlens.viz.ego import ego_view
from ringlens.viz.report import run_report, write_run_report
from ringlens.viz.ring import TYPE_COLORS, RingView, ring_view

__all__ = [
    "RingView",
    "ring_view",
    "ego_view",
    "run_report",
    "write_run_report",
    "safe_filename",
    "ring_filename",
    "TYPE_COLORS",
]
