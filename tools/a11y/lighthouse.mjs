// Lighthouse's accessibility category on a list of pages, in one Chromium that audit.py started
// (its debugging port), each page signed in by its session cookie.
//
//   node lighthouse.mjs runs.json   ->  one JSON line per run on stdout
//
// runs.json: {"browserURL": "http://127.0.0.1:9222",
//             "runs": [{"name", "url", "cookies": [{name, value, url}], "width", "height"}]}
//
// Each page is loaded by Puppeteer and then audited in Lighthouse's snapshot mode. Navigation mode
// waits for a first-contentful-paint event that this Chromium does not send it, so every run would
// wait out its load timeout; and it refuses the 403 and 404 pages, which must be audited too.
import { readFileSync } from "node:fs";
import { snapshot } from "lighthouse";
import puppeteer from "puppeteer-core";

const { browserURL, runs } = JSON.parse(readFileSync(process.argv[2], "utf8"));
const browser = await puppeteer.connect({ browserURL, defaultViewport: null });

for (const run of runs) {
  let line;
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    const mobile = run.width < 600;
    await page.setViewport({
      width: run.width, height: run.height, deviceScaleFactor: mobile ? 2 : 1, isMobile: mobile, hasTouch: mobile,
    });
    await context.setCookie(...run.cookies);
    await page.goto(run.url, { waitUntil: "load" });
    const result = await snapshot(page, {
      flags: {
        logLevel: "error",
        onlyCategories: ["accessibility"],
        formFactor: mobile ? "mobile" : "desktop",
        screenEmulation: { disabled: true }, // the viewport above
        disableFullPageScreenshot: true, // half the time of a run, and no audit of this category uses it
      },
    });
    const lhr = result.lhr;
    const failing = Object.values(lhr.audits)
      .filter((audit) => audit.scoreDisplayMode === "binary" && audit.score !== null && audit.score < 1)
      .map((audit) => ({
        id: audit.id,
        title: audit.title,
        nodes: ((audit.details && audit.details.items) || []).slice(0, 3).map(
          (item) => (item.node ? `${item.node.selector} ${(item.node.snippet || "").slice(0, 160)}` : ""),
        ),
      }));
    line = {
      name: run.name,
      url: run.url,
      score: lhr.categories.accessibility.score,
      failing,
      runtimeError: lhr.runtimeError ? lhr.runtimeError.message : null,
    };
  } catch (error) {
    line = { name: run.name, url: run.url, score: null, failing: [], runtimeError: String(error) };
  } finally {
    await context.close();
  }
  process.stdout.write(JSON.stringify(line) + "\n");
}
await browser.disconnect();
