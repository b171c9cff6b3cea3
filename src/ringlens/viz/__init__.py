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

import importlib
from typing import TYPE_CHECKING, Any

from ringlens.viz._common import ring_filename, safe_filename

if TYPE_CHECKING:
    from ringlens.viz.ego import ego_view
    from ringlens.viz.report import run_report, write_run_report
    from ringlens.viz.ring import TYPE_COLORS, RingView, ring_view

#: The page builders load pyvis, igraph's layouts and the templates when first used: a run
#: without views (``--no-views``, a batch job) does not pay for them.
_LAZY = {
    "ego_view": "ringlens.viz.ego",
    "run_report": "ringlens.viz.report",
    "write_run_report": "ringlens.viz.report",
    "TYPE_COLORS": "ringlens.viz.ring",
    "RingView": "ringlens.viz.ring",
    "ring_view": "ringlens.viz.ring",
}

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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ringlens.viz' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
