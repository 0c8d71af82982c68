"""The gallery in a real browser: headless Chromium driven over the DevTools protocol.

The pages are opened from ``file://`` (as a shop owner double-clicking index.html would), and the
test checks what a visitor would notice: console errors, images that do not load, fonts that do
not load, and whether typing in the search box hides the plates that do not match.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.archive_factory import rendered_shop

CHROMIUM = os.environ.get("TEEPRINT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def _chromium_runs() -> bool:
    """A browser that starts (Ubuntu's ``chromium`` is a snap stub that does not in a container)."""
    if not Path(CHROMIUM).exists():
        return False
    try:
        res = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--version"],
                             capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return res.returncode == 0 and any(ch.isdigit() for ch in res.stdout)
websocket = pytest.importorskip("websocket")


class Browser:
    """A headless Chromium and one page, spoken to over the DevTools protocol."""

    def __init__(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="teeprint-chromium-")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
             "--window-size=1280,900", "--allow-file-access-from-files", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                pytest.fail("Chromium did not open its DevTools port")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60,
                                              suppress_origin=True)
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        seen = len(self.events)
        while time.monotonic() < deadline:
            if any(e.get("method") == method for e in self.events[seen:]):
                return
            self.events.append(json.loads(self.ws.recv()))
        pytest.fail(f"no {method} within {timeout_s} s")

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        res = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in res:
            raise AssertionError(res["exceptionDetails"])
        return res["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads seen since the last navigation."""
        found = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                found.append(json.dumps(p["exceptionDetails"])[:300])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                found.append(json.dumps(p.get("args"))[:300])
            elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
                found.append(p["entry"].get("text", "") + " " + p["entry"].get("url", ""))
            elif m == "Network.loadingFailed":
                found.append(f"failed load: {p.get('errorText')} {p.get('type')}")
        return found

    def viewport(self, width: int, height: int, mobile: bool = False) -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=mobile)

    def screenshot(self, path: Path, full_height_px: int | None = None) -> None:
        if full_height_px:
            self.viewport(1280, full_height_px)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            if hasattr(self, "ws"):
                self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            # Chromium's helpers may still be writing into the profile for a moment.
            for _ in range(20):
                shutil.rmtree(self.profile, ignore_errors=True)
                if not Path(self.profile).exists():
                    break
                time.sleep(0.1)


ALL_IMAGES_LOADED = """
(async () => {
  const imgs = Array.from(document.images);
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  await document.fonts.ready;
  return {
    images: imgs.map(i => [i.getAttribute('src'), i.naturalWidth]),
    fonts: Array.from(document.fonts).map(f => [f.family, f.style, f.status]),
  };
})()
"""


@pytest.fixture(scope="module")
def gallery(tmp_path_factory) -> Path:
    if not _chromium_runs():
        pytest.skip("no working Chromium (install chromium, or set TEEPRINT_CHROMIUM)")
    return rendered_shop(tmp_path_factory.getbasetemp() / "archive") / "shop" / "gallery"


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.close()


def test_index_loads_cleanly_and_the_filter_works(gallery, browser, artifacts):
    browser.open((gallery / "index.html").as_uri())
    state = browser.js(ALL_IMAGES_LOADED)
    assert state["images"], "the index shows plates"
    assert all(w > 0 for _, w in state["images"]), state["images"]
    assert state["fonts"] and all(status == "loaded" for *_, status in state["fonts"]
                                  if status != "unloaded"), state["fonts"]
    assert browser.errors() == []
    total = browser.js("document.querySelectorAll('.card').length")
    assert total == 3
    browser.screenshot(artifacts / "gallery-index.png")

    # Typing a word hides the cards that do not match, and the empty families.
    browser.js("document.getElementById('search').focus()")
    browser.call("Input.insertText", text="nocturne")
    visible = browser.js("Array.from(document.querySelectorAll('.card:not([hidden])')).map(c => c.dataset.slug)")
    assert visible == ["night-descent"]
    sections = browser.js("Array.from(document.querySelectorAll('.family:not([hidden])')).map(s => s.dataset.family)")
    assert sections == ["optimisation"]
    assert "1 of 3" in browser.js("document.getElementById('count').textContent")
    browser.call("Input.insertText", text="zzz")
    assert browser.js("document.querySelectorAll('.card:not([hidden])').length") == 0
    assert browser.js("document.getElementById('empty').hidden") is False

    # Clearing the words and choosing a family filters by family.
    browser.js("const q = document.getElementById('search'); q.value = ''; q.dispatchEvent(new Event('input'))")
    browser.js("document.querySelector('[data-family-filter=\"regularisation\"]').click()")
    visible = browser.js("Array.from(document.querySelectorAll('.card:not([hidden])')).map(c => c.dataset.slug)")
    assert visible == ["ridge-echo"]
    assert browser.errors() == []


def _search(browser, words: str) -> list[str]:
    browser.js(f"(() => {{ const q = document.getElementById('search'); q.value = {json.dumps(words)};"
               " q.dispatchEvent(new Event('input')); })()")
    return browser.js("Array.from(document.querySelectorAll('.card:not([hidden])')).map(c => c.dataset.slug)")


def test_search_reads_every_field_a_buyer_types_and_cards_sell_the_tee(gallery, browser):
    browser.open((gallery / "index.html").as_uri())
    browser.js("document.querySelector('[data-family-filter=\"all\"]').click()")
    every = ["double-descent", "night-descent", "ridge-echo"]  # families in catalogue order
    assert _search(browser, "belkin") == every            # an author
    assert _search(browser, "2019 pnas") == every         # year and venue
    assert _search(browser, "reconciling bias-variance") == every  # the paper's title
    assert _search(browser, "#41") == ["ridge-echo"]      # a plate number
    assert _search(browser, "plate xlii") == ["night-descent"]  # in Roman
    assert _search(browser, "hinton") == []
    count = browser.js("(() => { const c = document.getElementById('count');"
                       " return [c.getAttribute('role'), c.getAttribute('aria-live'), c.textContent]; })()")
    assert count == ["status", "polite", "0 of 3 plates"]
    assert browser.js("document.querySelectorAll('main').length") == 1
    notes = browser.js("Array.from(document.querySelectorAll('.family-note')).map(n => n.textContent)")
    assert len(notes) == 3 and notes[0].startswith("Why models generalise")
    _search(browser, "")
    cards = browser.js("""Array.from(document.querySelectorAll('.card')).map(c => {
        const buy = c.querySelector('a.buy'); const shirt = buy && buy.querySelector('img.shirt');
        return [c.dataset.slug, buy && buy.getAttribute('href'), buy && buy.textContent,
                shirt && shirt.getAttribute('src')]; })""")
    for slug, href, text, shirt in cards:
        assert href == f"{slug}.html#garments" and "from $32.00" in text and shirt.startswith("img/")
    state = browser.js(ALL_IMAGES_LOADED)
    assert all(w > 0 for _, w in state["images"]), state["images"]
    assert browser.errors() == []


def test_phone_and_desktop_layouts(gallery, browser, artifacts):
    browser.viewport(390, 844, mobile=True)
    try:
        browser.open((gallery / "index.html").as_uri())
        browser.js(ALL_IMAGES_LOADED)
        box = browser.js("""(() => {
            const m = document.querySelector('.masthead').getBoundingClientRect();
            const card = document.querySelector('.card img').getBoundingClientRect();
            return [m.height, card.top, card.bottom, document.documentElement.scrollWidth]; })()""")
        masthead_h, card_top, card_bottom, scroll_w = box
        assert masthead_h < 60, box            # one line, not a first screen of masthead
        assert card_bottom < 844, box          # a whole plate on the first screen
        assert scroll_w <= 390, box            # nothing wider than the phone
        browser.screenshot(artifacts / "gallery-phone-390.png")
        browser.viewport(1400, 1000)
        browser.open((gallery / "index.html").as_uri())
        browser.js(ALL_IMAGES_LOADED)
        assert browser.js("document.documentElement.scrollWidth") <= 1400
        browser.screenshot(artifacts / "gallery-index-1400.png")
    finally:
        browser.viewport(1280, 900)


def test_links_to_the_store_when_it_is_set():
    from decimal import Decimal

    from teeprint.storefront.gallery import price_label, product_link

    assert product_link("https://shop.example/", "dd-tee", "dd") == "https://shop.example/products/dd-tee"
    assert product_link("", "dd-tee", "dd") == "dd.html#garments"
    assert price_label(Decimal("32"), "USD") == "from $32.00"
    assert price_label(Decimal("30.5"), "CHF") == "from 30.50 CHF"


def test_specimen_pages_load_with_plate_caption_and_data(gallery, browser, artifacts):
    for slug in ("double-descent", "ridge-echo", "night-descent"):
        browser.open((gallery / f"{slug}.html").as_uri())
        state = browser.js(ALL_IMAGES_LOADED)
        assert state["images"] and all(w > 0 for _, w in state["images"]), state["images"]
        assert browser.errors() == [], slug
        text = browser.js("document.body.innerText")
        assert "Belkin" in text and "PROVENANCE" in text.upper() and "seed" in text
        href = browser.js("document.querySelector('a.download').getAttribute('href')")
        assert href == f"data/{slug}.data.json"
        data = json.loads((gallery / href).read_text())
        assert data["provenance"]["specimen"] == slug
        assert browser.js("document.querySelectorAll('main').length") == 1
        links = browser.js("Array.from(document.querySelectorAll('a[href], img[src], link[href], script[src]'))"
                           ".map(e => e.getAttribute('href') || e.getAttribute('src'))")
        assert all("://" not in link and not link.startswith("/") for link in links), links
    browser.open((gallery / "double-descent.html").as_uri())
    browser.js(ALL_IMAGES_LOADED)
    browser.screenshot(artifacts / "gallery-specimen.png", full_height_px=1500)


def test_no_local_fetch_and_data_is_inline(gallery):
    index = (gallery / "index.html").read_text("utf-8")
    assert '<script type="application/json" id="catalogue-data">' in index
    js = (gallery / "assets" / "gallery.js").read_text("utf-8")
    assert "fetch(" not in js and "XMLHttpRequest" not in js
    for face in ("serif", "serif-italic", "display", "mono"):
        assert (gallery / "assets" / "fonts" / f"{face}.ttf").stat().st_size > 10_000
