// Drives Debian's Chromium with playwright-core for flareo-testkit's Browser.
// Requests arrive on stdin, one JSON object per line: {"id", "op", ...}; each gets
// one line back on stdout: {"id", "ok": value} or {"id", "error": "..."}. Every
// page lives in its own browser context (its own cookies: one user each).
// Usage: node browser-driver.mjs <chromium> <user-data-dir>
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const [executablePath] = process.argv.slice(2);
// Without the background-networking flags Chromium keeps dialling Google's hosts,
// which this machine's closed network refuses (see the machine notes).
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

const pages = new Map();
let nextPage = 1;

/** What a navigation left on screen. */
async function landed(page, response) {
  return { status: response ? response.status() : null, url: page.url(), title: await page.title() };
}

const ops = {
  async newPage() {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    const problems = [];
    // A page's own status is the test's to check (it asks for 404s on purpose);
    // what the page then loads must all succeed, and no script may fail. Chromium
    // also logs every 4xx as "Failed to load resource": the response handler
    // already tells those apart.
    page.on("console", (m) => {
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
        problems.push(`console: ${m.text()} (${m.location().url})`);
      }
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on("response", (r) => {
      if (r.status() >= 400 && r.request().resourceType() !== "document") {
        problems.push(`${r.status()} for ${r.request().resourceType()} ${r.url()}`);
      }
    });
    const id = nextPage++;
    pages.set(id, { page, context, problems });
    return id;
  },
  async goto(p, { url }) {
    return landed(p.page, await p.page.goto(url));
  },
  async fill(p, { selector, value }) {
    await p.page.fill(selector, value);
    return null;
  },
  async setFiles(p, { selector, path }) {
    await p.page.setInputFiles(selector, path);
    return null;
  },
  async check(p, { selector }) {
    await p.page.check(selector);
    return null;
  },
  // Clicks something that submits a form or follows a link, and waits for the
  // page it leads to.
  async submit(p, { selector }) {
    const [response] = await Promise.all([p.page.waitForNavigation(), p.page.click(selector)]);
    return landed(p.page, response);
  },
  async text(p, { selector }) {
    return p.page.innerText(selector);
  },
  async texts(p, { selector }) {
    return p.page.locator(selector).allInnerTexts();
  },
  // Waits until the element's rendered text contains `text` (scripts update it,
  // or the page reloads).
  async waitForText(p, { selector, text, timeoutMs }) {
    await p.page.waitForFunction(
      ([s, t]) => document.querySelector(s)?.innerText.includes(t),
      [selector, text],
      { timeout: timeoutMs },
    );
    return p.page.innerText(selector);
  },
  async count(p, { selector }) {
    return p.page.locator(selector).count();
  },
  async attribute(p, { selector, name }) {
    return p.page.getAttribute(selector, name);
  },
  async evaluate(p, { script }) {
    return p.page.evaluate(script);
  },
  async cookies(p) {
    return p.context.cookies();
  },
  async screenshot(p, { path }) {
    const bytes = await p.page.screenshot({ path, fullPage: true });
    return bytes.length;
  },
  async problems(p) {
    return p.problems;
  },
};

const out = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
out({ ready: browser.version() });
for await (const line of createInterface({ input: process.stdin })) {
  const req = JSON.parse(line);
  try {
    if (req.op === "newPage") {
      out({ id: req.id, ok: await ops.newPage() });
      continue;
    }
    const p = pages.get(req.page);
    if (!p) throw new Error(`no page ${req.page}`);
    try {
      out({ id: req.id, ok: await ops[req.op](p, req) });
    } catch (e) {
      // Say where the browser was and what it showed.
      const body = await p.page.innerText("body").catch(() => "");
      throw new Error(`${e.message}\n  at ${p.page.url()}\n  page text: ${body.slice(0, 1500)}`);
    }
  } catch (e) {
    out({ id: req.id, error: String(e.message ?? e) });
  }
}
await browser.close();
