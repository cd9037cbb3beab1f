"""The report in a real browser: headless Chromium (Debian package ``chromium``) opens the page
from disk, every figure decodes, nothing is logged as an error, and the page renders."""

from __future__ import annotations

import shutil

import pytest
from cdp_pipe import Chromium
from PIL import Image

CHROMIUM = shutil.which("chromium")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium(built_report, tmp_path):
    report = built_report
    with Chromium(CHROMIUM) as browser:
        page = browser.open_page(report.path.resolve().as_uri())
        images = browser.evaluate(page, "[...document.images].map(i => ({alt: i.alt, "
                                        "complete: i.complete, w: i.naturalWidth, "
                                        "h: i.naturalHeight}))")
        height = browser.evaluate(page, "document.documentElement.scrollHeight")
        shot = browser.screenshot(page, tmp_path / "report-top.png")
        errors = browser.errors()
    assert len(images) == len(report.figures) == 6
    assert all(i["complete"] and i["w"] > 0 and i["h"] > 0 for i in images), images
    assert errors == []
    assert height > 2000  # findings, tables and six figures laid out, not an empty page
    with Image.open(shot) as picture:
        low, high = picture.convert("L").getextrema()
        assert picture.size[0] > 0 and high > low  # not a blank screenshot
