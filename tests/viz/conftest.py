"""Fixtures for the viz tests: headless Chromium with the network blocked."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ._vizdata import DRAWN, PWNED


@dataclass
class Opened:
    """A page opened from file:// with the network blocked, and what it tried to do."""

    page: Any
    blocked: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.blocked == [], f"page tried to reach the network: {self.blocked}"
        assert all(u.startswith("file:") for u in self.requests), self.requests
        assert self.dialogs == [], f"a dialog fired: {self.dialogs}"
        assert self.errors == [], f"page errors: {self.errors}"
        assert self.page.title() != PWNED


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def _open(path: Path, *, wait_drawn: bool = True) -> Opened:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        opened = Opened(page)

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith("file:"):
                r.continue_()
            else:
                opened.blocked.append(url)
                r.abort()

        context.route("**/*", route)
        page.on("request", lambda req: opened.requests.append(req.url))
        page.on("dialog", lambda d: (opened.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: opened.errors.append(str(e)))
        page.on(
            "console",
            lambda m: opened.errors.append(m.text) if m.type == "error" else None,
        )
        page.goto(path.resolve().as_uri())
        if wait_drawn:
            page.wait_for_selector(DRAWN, state="attached", timeout=20_000)
        return opened

    yield _open
    for c in contexts:
        c.close()
