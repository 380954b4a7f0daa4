// Drives the stage dashboard of `understudy replay URL` as a presenter
// would: every key the page binds (its footer lists them) and every button,
// each step observed in the page and through the control API. The replay
// must start playing at 1×, before its load arrives. Prints what it saw as
// JSON; crates/cli/tests/browser.rs asserts on it.
//
//   node tests/browser/replay.mjs http://127.0.0.1:9090/

import { getJSON, replayStatus, report, until } from "./lib.mjs";

const base = process.argv[2];

// What the page shows of the replay, in one read.
function pageState(page) {
  return page.evaluate(() => {
    const b = document.body;
    const text = (id) => document.getElementById(id).textContent;
    return {
      position_ms: Number(b.dataset.position),
      paused: b.dataset.paused === "true",
      updates: Number(b.dataset.updates),
      clock: text("clock"),
      play: text("play"),
      speed: Number(document.getElementById("speed").value),
      offset: text("offset"),
      load: document.getElementById("load").hidden ? null : text("load"),
      projector: b.classList.contains("projector"),
      badge: getComputedStyle(document.getElementById("badge")).display !== "none",
    };
  });
}

// Both sides once the page has caught up with the server: the page shows
// the server's position, pause and speed.
async function settled(page, what, ok) {
  const server = await until(`the control API: ${what}`, () => replayStatus(base), ok);
  const shown = await until(
    `the page: ${what}`,
    () => pageState(page),
    (p) => p.paused === server.paused && p.speed === server.speed &&
      (server.paused ? p.position_ms === server.position_ms : Math.abs(p.position_ms - server.position_ms) < 60_000 * server.speed),
  );
  return { server, page: shown };
}

// A few page updates later (it updates every second): a condition, not a
// duration.
async function afterUpdates(page, n) {
  const from = (await pageState(page)).updates;
  return until(`${n} page updates`, () => pageState(page), (p) => p.updates >= from + n);
}

// The ticker: its lines and how it is scrolled.
function ticker(page) {
  return page.evaluate(() => {
    const list = document.getElementById("ticker");
    const lines = [...list.children];
    const top = lines.find((li) => li.offsetTop + li.offsetHeight > list.scrollTop);
    return {
      lines: lines.length,
      first: lines.length ? lines[0].dataset.key : null,
      scroll_top: list.scrollTop,
      scroll_height: list.scrollHeight,
      client_height: list.clientHeight,
      // The first line in view, and where it sits in the view.
      in_view: top ? { key: top.dataset.key, at: top.offsetTop - list.scrollTop } : null,
    };
  });
}

await report(base, { width: 1600, height: 1000 }, async (page, seen) => {
  const spec = await getJSON(new URL("/dashboard/spec.json", base));
  seen.spec = { source: spec.source, load_start_ms: spec.load_start_ms };
  seen.title = await page.title();
  seen.heading = await page.textContent("#title");
  seen.source = await page.textContent("#source");
  seen.opened = await settled(page, "playing", (s) => !s.paused);

  // Playing, the header clock moves; paused, it stands still.
  const before = await pageState(page);
  seen.clock_playing = [before.clock, (await afterUpdates(page, 3)).clock];

  await page.keyboard.press(" ");
  seen.space_pauses = await settled(page, "paused", (s) => s.paused);
  const pausedAt = await pageState(page);
  const later = await afterUpdates(page, 3);
  seen.clock_paused = [pausedAt.clock, later.clock];
  seen.position_paused = [pausedAt.position_ms, later.position_ms, (await replayStatus(base)).position_ms];

  const p0 = (await replayStatus(base)).position_ms;
  await page.keyboard.press("ArrowRight");
  seen.arrow_right = await settled(page, "30 s on", (s) => s.position_ms === p0 + 30_000);
  await page.keyboard.press("ArrowLeft");
  seen.arrow_left = await settled(page, "30 s back", (s) => s.position_ms === p0);

  await page.keyboard.type("+");
  seen.plus = await settled(page, "faster", (s) => s.speed > 1);
  await page.keyboard.press("-");
  seen.minus = await settled(page, "slower", (s) => s.speed === 1);
  await page.keyboard.press("=");
  seen.equals = await settled(page, "faster", (s) => s.speed > 1);
  await page.keyboard.press("-");
  await settled(page, "slower", (s) => s.speed === 1);

  // n: the next event after the position, as the ticker's API lists it.
  const p1 = (await replayStatus(base)).position_ms;
  const next = (await getJSON(new URL(`/dashboard/events?after_position=${p1}&limit=1`, base))).events[0];
  seen.next_expected = next;
  await page.keyboard.press("n");
  seen.n = await settled(page, "at the next event", (s) => s.position_ms !== p1);

  const p2 = (await replayStatus(base)).position_ms;
  const after = (await getJSON(new URL(`/dashboard/events?after_position=${p2}&limit=1`, base))).events[0];
  seen.next_button_expected = after;
  await page.click("#next");
  seen.next_button = await settled(page, "at the event after", (s) => s.position_ms !== p2);

  await page.click("#play");
  seen.play_button_resumes = await settled(page, "playing", (s) => !s.paused);
  // The button keeps the focus: space must still toggle once, not twice.
  await page.keyboard.press(" ");
  seen.space_after_button = await settled(page, "paused", (s) => s.paused);
  await afterUpdates(page, 2);
  seen.space_after_button_stays = await replayStatus(base);
  await page.click("#play");
  seen.play_button_again = await settled(page, "playing", (s) => !s.paused);
  await page.click("#play");
  await settled(page, "paused", (s) => s.paused);

  await page.selectOption("#speed", "5");
  seen.speed_select = await settled(page, "at 5×", (s) => s.speed === 5);
  await page.selectOption("#speed", "1");
  await settled(page, "at 1×", (s) => s.speed === 1);

  // The seek bar: half way is half the recording.
  await page.locator("#seek").fill("500");
  seen.seek_bar = await settled(page, "half way", (s) => Math.abs(s.offset_ms - s.duration_ms / 2) <= 1000);
  // Keys belong to the page again once the presenter clicks outside a
  // control.
  await page.click("#title");

  await page.keyboard.press("t");
  seen.t = await until("the projector theme", () => pageState(page), (p) => p.projector);
  await page.click("#theme");
  seen.theme_button = await until("the laptop theme", () => pageState(page), (p) => !p.projector);
  await page.keyboard.press("b");
  seen.b = await until("the badge hidden", () => pageState(page), (p) => !p.badge);
  await page.keyboard.press("b");
  await until("the badge back", () => pageState(page), (p) => p.badge);

  // The event list at half way holds more than it can show: it scrolls.
  seen.ticker_open = await until("a full event list", () => ticker(page), (t) => t.scroll_height > t.client_height);
  await page.hover("#ticker");
  await page.mouse.wheel(0, 400);
  const scrolled = await until("the event list scrolled", () => ticker(page), (t) => t.scroll_top > 0);
  seen.ticker_scrolled = scrolled;
  // New events arrive (30 s on): the line the reader was at stays put.
  await page.click("#title");
  await page.keyboard.press("ArrowRight");
  seen.ticker_after_new_events = await until("new events at the top", () => ticker(page), (t) => t.first !== scrolled.first);
  // Back at the top, the newest stay in view as more arrive.
  await page.hover("#ticker");
  await page.mouse.wheel(0, -100_000);
  const top = await until("the event list at its top", () => ticker(page), (t) => t.scroll_top === 0);
  await page.click("#title");
  await page.keyboard.press("ArrowRight");
  seen.ticker_at_top_after_new_events = await until("newer events at the top", () => ticker(page), (t) => t.first !== top.first);
  seen.final = await settled(page, "the end of the drive", () => true);
});
