"""Helpers for the report tests: result folders and a small study store made on the spot, and
headless Chromium (Debian's chromium and chromium-driver) to open a page as a reader would."""

from __future__ import annotations

import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from cfe_opt.cli import main

REPO = Path(__file__).resolve().parents[1]
TWO_PARTY = REPO / "tests" / "fixtures" / "report_two_party.yaml"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def solved(root: Path, scenario: Path = TWO_PARTY, name: str = "solve",
           extra: tuple[str, ...] = ()) -> Path:
    """A solve's result folder for ``scenario`` (copied into ``root``), made by the CLI."""
    root.mkdir(parents=True, exist_ok=True)
    copy = root / scenario.name
    shutil.copy(scenario, copy)
    out = root / name
    code = main(["solve", str(copy), "--out", str(out), "--quiet", *extra])
    assert code in (0, 1)
    return out


STUDY = """\
name: report test study
base: report_study_base.yaml
objectives: [weighted]
axes:
  flank_caps:
    cases:
      red_lines: {}
      positions_only:
        parties.TUR.red_lines.flank_cap: null
        parties.TUR.red_lines.flank_cap_too: null
  rus_floor:
    field: parties.RUS.red_lines.flank_floor.value
    values: [1380, 1900]
sample:
  size: 4
  seed: 3
  method: random
  axes:
    tur_weight: {field: parties.TUR.weight, distribution: log_uniform, low: 0.5, high: 2}
"""


def study_store(root: Path, caps: tuple[int, int] | None = None, study_text: str = STUDY
                ) -> Path:
    """A store of 16 variants: 2 cases × 2 floors × 4 draws; no package exactly where Turkey's
    caps are red lines and Russia's floor is 1,900 (4 variants). ``caps`` sets Turkey's two
    caps in the base (1,800 and 1,850 as the fixture has them)."""
    from cfe_opt.study.runner import run_study

    root.mkdir(parents=True, exist_ok=True)
    base = (REPO / "tests" / "fixtures" / "report_study_base.yaml").read_text(encoding="utf-8")
    if caps is not None:
        base = base.replace("value: 1800", f"value: {caps[0]}").replace(
            "value: 1850", f"value: {caps[1]}")
    (root / "report_study_base.yaml").write_text(base, encoding="utf-8")
    study = root / "study.yaml"
    study.write_text(study_text, encoding="utf-8")
    out = root / "store"
    run_study(study, out, workers=1, stream=io.StringIO())  # progress not shown
    return out


@dataclass
class PageCheck:
    errors: list[str]  # console messages of level SEVERE (errors), as Chromium logs them
    images: list[dict]  # each <img>: complete, natural width and height, start of its src
    resources: list[str]  # every resource the page fetched (none for a self-contained page)
    title: str
    text: str


def have_chromium() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


def open_page(path: Path, screenshot: Path) -> PageCheck:
    """Open ``path`` in headless Chromium with the network cut off, wait for it to load, read
    the console log and every image, and save a full-page screenshot."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--hide-scrollbars", "--window-size=1200,900",
                 "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=CHROMEDRIVER, log_output=os.devnull)
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.set_page_load_timeout(60)
        driver.get(path.resolve().as_uri())
        driver.execute_script("return document.readyState")  # the load has finished
        images = driver.execute_script(
            "return Array.from(document.images).map(i => ({complete: i.complete, "
            "width: i.naturalWidth, height: i.naturalHeight, src: i.src.slice(0, 30)}))")
        resources = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)")
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1200, min(int(height) + 50, 16000))
        driver.save_screenshot(str(screenshot))
        errors = [entry["message"] for entry in driver.get_log("browser")
                  if entry.get("level") == "SEVERE"]
        return PageCheck(errors=errors, images=images, resources=resources,
                         title=driver.title, text=driver.find_element("tag name", "body").text)
    finally:
        driver.quit()
