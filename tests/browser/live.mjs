// Opens the page of `understudy dashboard --prometheus …` and reports its
// title and layout: where the panels end, against the page's content box,
// and whether the (replay-only) event list takes room. Prints JSON;
// crates/cli/tests/browser.rs asserts on it.
//
//   node tests/browser/live.mjs http://127.0.0.1:9092/

import { report, until } from "./lib.mjs";

const base = process.argv[2];

await report(base, { width: 1600, height: 1000 }, async (page, seen) => {
  seen.title = await page.title();
  seen.heading = await page.textContent("#title");
  seen.source = await page.textContent("#source");
  await until("a panel drawn", () => page.getAttribute(".panel", "data-points"), (n) => Number(n) > 0);
  seen.layout = await page.evaluate(() => {
    const box = (el) => {
      const r = el.getBoundingClientRect();
      return { left: r.left, right: r.right, width: r.width, height: r.height };
    };
    const main = document.querySelector("main");
    const style = getComputedStyle(main);
    return {
      viewport: window.innerWidth,
      main: box(main),
      main_padding_right: parseFloat(style.paddingRight),
      columns: style.gridTemplateColumns.split(" ").length,
      panels: box(document.getElementById("panels")),
      each_panel: [...document.querySelectorAll(".panel")].map(box),
      events: box(document.getElementById("events")),
    };
  });
});
