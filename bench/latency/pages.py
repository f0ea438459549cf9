"""Page loads: navigation to the first content painted on a fresh server (cold, warm and third visits), for
every page and the floor, and in-app switches by the sidebar."""

from __future__ import annotations

import asyncio
import time

import numpy as np

from bench.latency.common import LOAD_TIMEOUT_MS, PAGES, PROBE_JS, VIEWPORT, Report, server

# True once the probe has stamped the page's first content as painted.
FIRST_PAINTED_JS = "() => window.__lat && window.__lat.first && window.__lat.first.t"

FIRST_SPLIT_JS = """() => {
  const L = window.__lat, t = L.first.t, open = L.open ?? 0;
  const before = L.recvs.filter(r => r <= t);
  const last = before.length ? before[before.length - 1] : open;
  return {s: t / 1000, what: L.first.what, boot: open / 1000, server: (last - open) / 1000, render: (t - last) / 1000};
}"""


async def first_paint(context, url: str) -> dict:
    """Navigation -> first image (or chart) painted, split into page boot (HTML and scripts, up to the
    websocket), server (up to the last message before the paint) and browser render."""
    page = await context.new_page()
    await page.goto(url, wait_until="commit")
    await page.wait_for_function(FIRST_PAINTED_JS, timeout=LOAD_TIMEOUT_MS)
    result = await page.evaluate(FIRST_SPLIT_JS)
    await page.close()
    return result


FLOOR_PAGE = "Streamlit floor (bench/floor_app.py)"


async def _server_quiet(app, timeout: float = 60.0, window: float = 0.5) -> None:
    """Until the server used under 5% of a core over `window` seconds: a visit's page closes at its first paint,
    while its script may still be running (scoring samples, say); the next visit should not queue behind it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = app.cpu_seconds()
        await asyncio.sleep(window)
        if app.cpu_seconds() - before < 0.05 * window:
            return


async def _visits(browser, app, path: str) -> dict:
    """Three visits from one browser profile, each a new tab (so a new Streamlit session): cold (the first
    after the server started), warm (Streamlit's scripts now come from the browser cache, as on a person's
    return) and a third (Chromium also reuses its compiled code for the scripts from the second load on). Each
    visit starts once the server has finished the previous one's work."""
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_init_script(PROBE_JS)
    visits = {}
    for name in ("cold", "warm", "third"):
        visits[name] = await first_paint(context, app.url + path)
        await _server_quiet(app)
    await context.close()
    return visits


def _median_visit(visits: list[dict]) -> dict:
    """The median of each timing over repeated visits (the split's parts each on their own, so they need not add
    up exactly), with the content kind of the first."""
    return {key: float(np.median([v[key] for v in visits])) for key in ("s", "boot", "server", "render")} | {
        "what": visits[0]["what"]
    }


async def page_loads(browser, report: Report, repeats: int = 3) -> None:
    """Every page on a fresh app server, and the floor: the smallest Streamlit page (two sliders, one image);
    `repeats` rounds over all of them, each page's figures the medians of its rounds (one cold visit is one
    sample, and a shared machine's noise moves it by several tenths of a second)."""
    targets = [("bench/floor_app.py", "/", FLOOR_PAGE)] + [("app.py", path, name) for path, name in PAGES.items()]
    rounds: dict[str, list[dict]] = {name: [] for _, _, name in targets}
    for round_number in range(1, repeats + 1):
        print(f" round {round_number} of {repeats}", flush=True)
        for script, path, name in targets:
            launched = time.perf_counter()
            with server(script, "app-pages" if script == "app.py" else "floor-pages") as app:
                started = time.perf_counter() - launched  # process start -> /_stcore/health answers
                visits = await _visits(browser, app, path)
            visits["start_s"] = started
            rounds[name].append(visits)
            cold, warm = visits["cold"], visits["warm"]
            print(
                f"  {name:20s} cold {cold['s']:6.2f} s ({_split(cold)})   warm {warm['s']:5.2f} s ({_split(warm)});"
                f" third {visits['third']['s']:.2f} s",
                flush=True,
            )
    for name, samples in rounds.items():
        report.pages[name] = {visit: _median_visit([s[visit] for s in samples]) for visit in ("cold", "warm", "third")}
        report.pages[name] |= {"start_s": float(np.median([s["start_s"] for s in samples])), "rounds": len(samples)}


# Click a sidebar link (selector) and time it to the new page's first content painted: an image whose picture was
# added or replaced after the click, a form, or a component's first-drawing mark made after the click. Content
# inside a stale (greyed-out) element is the old page's and does not count. Returns the page title (h1) before
# the click and at the paint, so the caller can tell the new page was showing.
SWITCH_JS = r"""
selector => new Promise(resolve => {
  const t0 = performance.now(), before = document.querySelector('h1')?.innerText ?? '';
  let done = false;
  const finish = what => {
    if (done) return;
    done = true;
    watch.disconnect();
    marks.disconnect();
    const title = document.querySelector('h1')?.innerText ?? '';
    const s = () => (performance.now() - t0) / 1000;
    requestAnimationFrame(() => setTimeout(() => resolve({what, s: s(), title, before}), 0));
  };
  const fresh = el => !el.closest('[data-stale="true"]');
  const within = (node, css) => node.matches(css) ? node : node.querySelector(css);
  const watch = new MutationObserver(records => {
    for (const record of records) {
      for (const node of record.type === 'attributes' ? [record.target] : record.addedNodes) {
        if (!(node instanceof Element)) continue;
        const img = within(node, '[data-testid="stImage"] img[src]');
        if (img && fresh(img)) { img.decode().then(() => finish('image'), () => finish('image')); return; }
        const form = within(node, '[data-testid="stForm"]');
        if (form && fresh(form)) { finish('form'); return; }
      }
    }
  });
  watch.observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  const marks = new PerformanceObserver(list => {
    const mark = list.getEntries().find(e => e.name.startsWith('explorer:drawn:') && e.startTime >= t0);
    if (mark) finish(mark.name.slice(15));
  });
  marks.observe({type: 'mark'});
  document.querySelector(selector).click();
})"""


async def in_app_switches(browser, report: Report) -> None:
    """Page to page by the sidebar, as a person moves around the app: on a fresh server, Home first, then a click
    on each other page's link in turn and back to Home, twice. The first tour is each page's first visit in the
    session (and its first run in the process); the second, a return to it."""
    tour = [path for path in PAGES if path != "/"] + ["/"]
    with server("app.py", "app-switches") as app:
        context = await browser.new_context(viewport=VIEWPORT)
        await context.add_init_script(PROBE_JS)
        page = await context.new_page()
        page.set_default_timeout(LOAD_TIMEOUT_MS)
        await page.goto(app.url + "/", wait_until="commit")
        await page.wait_for_function(FIRST_PAINTED_JS)
        for round_name in ("first", "again"):
            for path in tour:
                await _server_quiet(app)
                link = f'[data-testid="stSidebarNavLink"][href="{app.url}{path}"]'
                await page.wait_for_selector(link)
                switched = await page.evaluate(SWITCH_JS, link)
                entry = report.switches.setdefault(PAGES[path], {})
                if switched["title"] == switched["before"]:  # the content found was the old page's
                    raise RuntimeError(f"switch to {path}: still showing {switched['before']!r}")
                entry[round_name], entry["what"] = switched["s"], switched["what"]
        await context.close()
    for name, entry in report.switches.items():
        print(f"  {name:20s} in-app switch: first {entry['first']:.2f} s, again {entry['again']:.2f} s", flush=True)


def _split(visit: dict) -> str:
    return f"{visit['boot']:.2f} / {visit['server']:.2f} / {visit['render']:.2f}"
