"""The ``ringlens`` command line: a thin layer over the library.

:mod:`ringlens.cli.app` holds the application, its global options, output and error
handling; every other module here is one command group and registers its commands on
:data:`app` (this package imports them all, so adding a command is one new module).
"""

from __future__ import annotations

import importlib
import pkgutil

from ringlens.cli.app import app, main

__all__ = ["app", "main"]

for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _mod != "app":
        importlib.import_module(f"{__name__}.{_mod}")
