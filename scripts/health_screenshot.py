"""Screenshot of the health dashboard (``health.html``), taken in headless Chromium.

Usage::

    .venv/bin/python scripts/health_screenshot.py CALIBRATION_DIR OUT.png   # a real report
    .venv/bin/python scripts/health_screenshot.py                           # -> docs/img/health.png

Without arguments it first plays the feedback loop of ``bench/calibrate_loop.py`` on a
small changing synthetic platform (five weekly runs of 40,000 events, a team whose weights
over-rate new accounts, simulated reviewers with 10 % label noise) in a temporary folder,
then photographs the top of its ``calibration/health.html``. Needs Debian's ``chromium``;
the page is opened from ``file://`` with every other request blocked.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--hide-scrollbars",
]


def shoot(html: Path, png: Path, *, height: int = 1500) -> Path:
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        raise SystemExit("no chromium on PATH (apt-get install chromium)")
    blocked: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": height})

        def route(r):  # type: ignore[no-untyped-def]
            if r.request.url.startswith("file:"):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.goto(html.resolve().as_uri())
        png.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(png), full_page=False)
        browser.close()
    if blocked:
        raise SystemExit(f"the page tried to reach the network: {blocked}")
    return png


def main(argv: list[str]) -> int:
    if argv:
        calib, png = Path(argv[0]), Path(argv[1] if len(argv) > 1 else "health.png")
    else:
        sys.path.insert(0, str(ROOT / "bench"))
        import calibrate_loop

        tmp = Path(tempfile.mkdtemp(prefix="ringlens-health-"))
        calibrate_loop.main(
            [
                "--runs", "5", "--events", "40000", "--review", "100", "--seed", "3",
                "--weights", "new_account=50,prior_violations=40", "--out", str(tmp),
            ]
        )  # fmt: skip
        calib, png = tmp / "calibration", ROOT / "docs" / "img" / "health.png"
    print(shoot(calib / "health.html", png))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
