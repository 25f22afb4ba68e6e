"""The HTML reports in a real browser: headless Chromium (Debian's chromium and
chromium-driver, installed by .ci/run) opens each report with the network cut off, and the
page must render with no console error, every image must load, nothing may be fetched, and a
full-page screenshot is saved (beside the report; CFE_OPT_SCREENSHOTS=DIR keeps a copy).

Without Chromium the tests are skipped on a developer's machine and fail in CI (CI=true)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cfe_opt.cli import main
from tests.report_support import have_chromium, open_page, solved, study_store

pytestmark = pytest.mark.skipif(not have_chromium() and not os.environ.get("CI"),
                                reason="needs Debian's chromium and chromium-driver "
                                       "(apt-get install chromium chromium-driver)")


def _screenshot(path: Path) -> Path:
    shot = path.with_suffix(".png")
    keep = os.environ.get("CFE_OPT_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
    return shot


def _keep(shot: Path) -> None:
    keep = os.environ.get("CFE_OPT_SCREENSHOTS")
    if keep:
        shutil.copy(shot, Path(keep) / shot.name)


def _assert_renders(html: Path, figures: int, phrase: str) -> None:
    from matplotlib.image import imread

    shot = _screenshot(html)
    page = open_page(html, shot)
    assert page.errors == []
    assert len(page.images) == figures
    for image in page.images:
        assert image["complete"] and image["width"] > 0 and image["height"] > 0, image
        assert image["src"].startswith("data:image/png;base64,")
    assert page.resources == []  # nothing fetched: the page stands alone
    assert phrase in page.text
    pixels = imread(shot)
    assert pixels.shape[0] > 900 and pixels.std() > 0.05  # a long page, not a blank one
    _keep(shot)


def test_solve_report_renders_in_chromium(tmp_path, capsys):
    folder = solved(tmp_path / "two")
    html = tmp_path / "solve-report.html"
    assert main(["report", str(folder), "--out", str(html)]) == 0
    capsys.readouterr()
    _assert_renders(html, figures=2, phrase="Russia concedes 200 of the 2,000 ACVs it sought")


def test_study_report_renders_in_chromium(tmp_path, capsys):
    store = study_store(tmp_path / "study")
    html = tmp_path / "study-report.html"
    assert main(["report", str(store), "--out", str(html)]) == 0
    capsys.readouterr()
    _assert_renders(html, figures=4, phrase="Of 16 variants, 12 (75%)")


def test_the_browser_check_sees_broken_pages(tmp_path):
    """The check itself: a page with a broken image and a script error is caught."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><p>x</p>'
                    '<img src="data:image/png;base64,AAAA" alt="broken">'
                    '<script>undefinedFunction();</script></body></html>', encoding="utf-8")
    found = open_page(page, tmp_path / "broken.png")
    assert any("undefinedFunction" in e for e in found.errors)
    assert found.images[0]["width"] == 0
    assert (tmp_path / "broken.png").stat().st_size > 0
