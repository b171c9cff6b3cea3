"""What an application needs to render the views with its own templates (``ringlens
serve``): the views' Jinja environment and template folder, their own scripts and CSP
script hashes."""

from __future__ import annotations

from ringlens.viz._common import _TEMPLATE_DIR, own_script, script_hash, template_env

__all__ = ["own_script", "script_hash", "template_env", "viz_template_dir"]


def viz_template_dir() -> str:
    """The folder of the views' templates (``ring.html.j2``, ``report.html.j2``, …)."""
    return str(_TEMPLATE_DIR)
