// Opens report pages in headless Chromium (Debian's, driven by playwright-core) as a person
// would, at a desktop width and a phone width, and checks what a reader relies on: the page is
// not blank, nothing spills past the right edge (wide tables scroll inside their box), no
// number is broken across lines, there are no console errors, and no request leaves the
// machine. Screenshots go beside each page.
// Usage: node page-check.mjs PAGE.html [PAGE.html ...]
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

// playwright-core is installed outside the repository (ALLOT_NODE, default ~/.cache/allot-node).
const home = process.env.ALLOT_NODE || path.join(os.homedir(), ".cache", "allot-node");
const { chromium } = createRequire(path.join(home, "package.json"))("playwright-core");

const pages = process.argv.slice(2);
if (pages.length === 0) {
  console.error("usage: node page-check.mjs PAGE.html ...");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-quic", "--disable-component-update", "--disable-sync"],
});
let failed = 0;
for (const file of pages) {
  for (const [name, width, height] of [["desktop", 1280, 900], ["phone", 390, 844]]) {
    const page = await browser.newPage({ viewport: { width, height } });
    const problems = [];
    page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
    page.on("request", (r) => {
      const u = r.url();
      if (!u.startsWith("file:") && !u.startsWith("data:") && !u.startsWith("http://127.0.0.1")) problems.push(`request leaves the machine: ${u}`);
    });
    await page.goto("file://" + path.resolve(file));
    const check = await page.evaluate(() => {
      const doc = document.documentElement;
      const cells = [...document.querySelectorAll("td.num")];
      // A number cell whose text wraps is taller than one line.
      const broken = cells.filter((c) => c.getClientRects().length > 0 && c.scrollHeight > 2.2 * parseFloat(getComputedStyle(c).lineHeight || "16")).map((c) => c.textContent);
      return {
        overflow: doc.scrollWidth - window.innerWidth,
        text: document.body.innerText.length,
        charts: document.querySelectorAll("svg.chart").length,
        broken: broken.slice(0, 5),
      };
    });
    if (check.overflow > 1) problems.push(`the page is ${check.overflow}px wider than the ${width}px window`);
    if (check.text < 200) problems.push("the page looks empty");
    if (check.broken.length) problems.push(`numbers broken across lines: ${check.broken.join(", ")}`);
    const shot = file.replace(/\.html$/, `-${name}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`page-check: ${path.basename(file)} at ${width}px: ${check.charts} charts, ${problems.length ? problems.join("; ") : "ok"} (${path.basename(shot)})`);
    failed += problems.length;
    await page.close();
  }
}
await browser.close();
process.exit(failed ? 1 : 0);
