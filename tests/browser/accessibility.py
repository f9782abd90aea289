"""axe-core's checks on a page as Chromium shows it (WCAG 2 A and AA rules)."""

from axe_playwright_python.sync_playwright import Axe

AXE = Axe()


def assert_accessible(page):
    """No axe-core violation on the page as it is now; the report names each one."""
    results = AXE.run(page)
    assert results.violations_count == 0, results.generate_report()
