"""axe-core's checks on a page as Chromium shows it.

The script is the npm package's ``axe.min.js``, vendored in ``vendor/`` with its licence.
It is evaluated through the DevTools protocol, which the pages' Content-Security-Policy
(no inline scripts) does not apply to.
"""

from pathlib import Path

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js").read_text()
SERIOUS = ("serious", "critical")


def axe_violations(page):
    """Every violation axe-core finds on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    return page.evaluate("async () => (await axe.run(document)).violations")


def assert_accessible(page):
    """axe-core finds nothing serious or critical on the page as it shows now; the message
    names each rule, what it asks for and where it failed."""
    bad = [v for v in axe_violations(page) if v["impact"] in SERIOUS]
    assert not bad, [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in bad]
