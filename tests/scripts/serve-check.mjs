// Opens `allot serve` in headless Chromium (Debian's, driven by playwright-core) as a person
// would: the overview, then link by link down to a person (month, division, department, cost
// center, person). On every page: not blank, no console error, no request leaving the
// dashboard's own address, the charts and tables there; the tables sort when a header is
// clicked, and every page is complete with JavaScript off. Screenshots go to OUT_DIR.
// Usage: node serve-check.mjs BASE_URL OUT_DIR
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

const home = process.env.ALLOT_NODE || path.join(os.homedir(), ".cache", "allot-node");
const { chromium } = createRequire(path.join(home, "package.json"))("playwright-core");

const [base, out] = process.argv.slice(2);
if (!base || !out) {
  console.error("usage: node serve-check.mjs BASE_URL OUT_DIR");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-quic", "--disable-component-update", "--disable-sync"],
});
const problems = [];
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
page.on("console", (m) => { if (m.type() === "error") problems.push(`console error on ${page.url()}: ${m.text()}`); });
page.on("pageerror", (e) => problems.push(`script error on ${page.url()}: ${e.message}`));
page.on("request", (r) => { if (!r.url().startsWith(base)) problems.push(`request leaves the dashboard: ${r.url()}`); });

async function look(name) {
  const check = await page.evaluate(() => ({
    text: document.body.innerText.length,
    tables: document.querySelectorAll("table").length,
    charts: document.querySelectorAll("svg.chart").length,
    title: document.querySelector("h1") ? document.querySelector("h1").textContent : "",
  }));
  if (check.text < 300) problems.push(`${name}: the page looks empty`);
  if (check.tables < 1) problems.push(`${name}: no table`);
  const shot = path.join(out, `serve-${name}.png`);
  await page.screenshot({ path: shot, fullPage: name !== "overview" });
  console.log(`serve-check: ${name} (${page.url().slice(base.length)}): "${check.title.trim()}", ${check.tables} tables, ${check.charts} charts (${path.basename(shot)})`);
}

async function follow(name, selector) {
  const link = page.locator(selector).first();
  if ((await link.count()) === 0) {
    problems.push(`${name}: no link matching ${selector} on ${page.url()}`);
    return false;
  }
  await Promise.all([page.waitForLoadState("load"), link.click()]);
  await page.waitForLoadState("load");
  await look(name);
  return true;
}

const resp = await page.goto(base + "/");
if (!resp || resp.status() !== 200) problems.push(`the overview answered ${resp && resp.status()}`);
await look("overview");
const steps = [
  ["month", 'nav.months a[href$="-09"]'],
  ["division", 'td a[href*="/by/division/"]'],
  ["department", 'td a[href*="/by/department/"]'],
  ["cost-center", 'td a[href*="/cost-center/"]'],
  ["person", 'td a[href*="/person/"]'],
];
for (const [name, sel] of steps) {
  if (!(await follow(name, sel))) break;
}
// Sorting: click the cost center page's people table by amount, largest first.
await page.goto(base + "/month/2026-09/cost-center/CC-1030");
const header = page.locator("#people th", { hasText: "Amount" }).first();
await header.click();
await header.click();
const amounts = await page.$$eval("#people tbody tr:not(.total) td.num:nth-of-type(4)", (tds) => tds.map((t) => parseFloat(t.textContent.replace(/,/g, ""))));
const sorted = [...amounts].sort((a, b) => b - a);
if (amounts.length < 2 || amounts.join() !== sorted.join()) problems.push(`sorting by amount did not sort: ${amounts.slice(0, 5).join(", ")}`);
else console.log(`serve-check: the people table sorts by amount (${amounts.length} rows)`);
// Without JavaScript every page is whole.
const still = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
const plain = await still.newPage();
plain.on("request", (r) => { if (!r.url().startsWith(base)) problems.push(`request leaves the dashboard: ${r.url()}`); });
for (const p of ["/", "/month/2026-09", "/month/2026-09/reviews", "/month/2026-09/adoption"]) {
  await plain.goto(base + p);
  const n = await plain.evaluate(() => ({ tables: document.querySelectorAll("table tbody tr").length, overflow: document.documentElement.scrollWidth - window.innerWidth }));
  if (n.tables < 2) problems.push(`${p} without JavaScript: no table rows`);
  if (n.overflow > 1) problems.push(`${p} at 390px: ${n.overflow}px wider than the window`);
}
await plain.screenshot({ path: path.join(out, "serve-adoption-phone.png"), fullPage: false });
console.log("serve-check: 4 pages complete without JavaScript at 390 px");
await browser.close();
for (const p of problems) console.error(`serve-check: ${p}`);
process.exit(problems.length ? 1 : 0);
