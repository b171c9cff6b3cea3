"""Fixtures for the viz tests: headless Chromium with the network blocked."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ._vizdata import CHROMIUM_ARGS, DRAWN, PWNED


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


# one per module: Playwright's sync API allows one instance at a time, and tests/viz and
# tests/serve each start their own
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    exe = _chromium()
    required = os.environ.get("RINGLENS_REQUIRE_BROWSER") == "1"
    if exe is None:
        if required:
            pytest.fail(
                "RINGLENS_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)"
            )
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        if required:
            pytest.fail("RINGLENS_REQUIRE_BROWSER=1 but playwright is not installed")
        pytest.skip("playwright is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


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
