// What the drivers share: Debian's chromium through playwright-core, the
// page's problems (console errors, uncaught exceptions, the page's own
// `data-errors`), waits with a generous deadline, the replay's control API,
// and the one JSON report a driver prints for the Rust test that ran it.

import { chromium } from "playwright-core";

// Generous: a loaded CI machine is slow, and nothing here measures speed.
export const DEADLINE_MS = 30_000;

export async function open(url, viewport) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  });
  const page = await browser.newPage({ viewport });
  page.setDefaultTimeout(DEADLINE_MS);
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.goto(url);
  await page.waitForSelector("body[data-rendered=true]");
  return { browser, page, problems };
}

// Polls `probe` until `ok(value)` holds; returns the value. Fails naming
// `what` and the last value seen.
export async function until(what, probe, ok) {
  const deadline = Date.now() + DEADLINE_MS;
  let last;
  for (;;) {
    last = await probe();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`waited ${DEADLINE_MS} ms for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function getJSON(url) {
  const r = await fetch(url, { cache: "no-store" });
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  return r.json();
}

// The replay's control API: `/-/replay`'s status.
export async function replayStatus(base) {
  return (await getJSON(new URL("/-/replay", base))).data;
}

// Runs `drive(seen)` and prints `seen` as JSON on stdout, with the page's
// problems; a failed wait or step is reported as `error`, and the exit
// status is 1.
export async function report(url, viewport, drive) {
  const seen = {};
  let session = null;
  // Whatever hangs, the driver ends: the Rust test waits for it.
  const watchdog = setTimeout(() => {
    console.log(JSON.stringify({ ...seen, error: "the driver took over 5 minutes" }));
    process.exit(2);
  }, 300_000);
  let code = 0;
  try {
    session = await open(url, viewport);
    await drive(session.page, seen);
    seen.errors_attribute = await session.page.getAttribute("body", "data-errors");
  } catch (e) {
    seen.error = String(e && e.stack || e);
    code = 1;
  } finally {
    seen.problems = session ? session.problems : [];
    if (session) await session.browser.close();
    clearTimeout(watchdog);
  }
  console.log(JSON.stringify(seen, null, 1));
  process.exit(code);
}
