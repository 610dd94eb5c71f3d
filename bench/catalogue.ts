/**
 * The catalogue page's weight and time to interactive (issue #14), in Debian's headless
 * Chromium through playwright-core, for the test fixture at several sizes in one run.
 *
 * Of it the page's script: from the script's first line to that mark (parse the data, build the
 * search index, fill the filters, draw the first rows); the rest is loading and parsing the HTML.
 *
 * Time to interactive: from navigation start to the page's "catalogue-ready" mark, set once its
 * script has parsed the data, filled the filters and drawn the first rows (the page answers
 * input from then on). Search: the time one keystroke's filtering and redraw takes, measured in
 * the page around a synthetic input event (the work is synchronous). Median of --runs loads,
 * each in a fresh browser context (no cache).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/catalogue.js [--rows 20,2000,20000] [--runs 5]
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { run as catalog } from "../src/cli/catalog.js";
import { REPOSITORY, writeFixtureResults } from "../test/catalog/big-fixture.js";
import { CHROMIUM, launchChromium, serveDirectory } from "../test/catalog/serve.js";

const { values } = parseArgs({ options: { rows: { type: "string", default: "20,2000,20000" }, runs: { type: "string", default: "5" } } });
const sizes = values.rows.split(",").map(Number);
const runs = Number(values.runs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;

interface Row {
  rows: number;
  html: number;
  htmlGzip: number;
  json: number;
  jsonGzip: number;
  transferred: number;
  tti: number;
  search: number;
  heapMB: number;
  scriptMs: number;
}

const browser = await launchChromium();
const version = browser.version();
const results: Row[] = [];
const root = await mkdtemp(join(tmpdir(), "mirrorbot-bench-catalogue-"));
try {
  for (const rows of sizes) {
    const dir = join(root, String(rows));
    await writeFixtureResults(join(dir, "results"), rows);
    const quiet = { write: () => true };
    const code = await catalog(["--results", "results", "--out", "site", "--repository", REPOSITORY], { cwd: dir, stdout: quiet, stderr: process.stderr });
    if (code !== 0) throw new Error(`mirrorbot catalog exited ${code}`);
    const html = await readFile(join(dir, "site/index.html"));
    const json = await readFile(join(dir, "site/catalog.json"));
    const { server, url, bytes } = await serveDirectory(join(dir, "site"));
    const ttis: number[] = [];
    const searches: number[] = [];
    const heaps: number[] = [];
    const scripts: number[] = [];
    let transferred = 0;
    try {
      for (let i = 0; i < runs; i++) {
        const context = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        const cdp = await context.newCDPSession(page);
        const before = bytes();
        await page.goto(url, { waitUntil: "commit", timeout: 300_000 });
        await page.waitForSelector("html[data-ready=true]", { timeout: 300_000 });
        transferred = bytes() - before;
        const timing = (await page.evaluate(`(() => {
          const ready = performance.getEntriesByName("catalogue-ready")[0].startTime;
          return { tti: ready, script: ready - performance.getEntriesByName("catalogue-script")[0].startTime };
        })()`)) as { tti: number; script: number };
        const search = (await page.evaluate(`(() => {
          const box = document.getElementById("search");
          const t0 = performance.now();
          box.value = "app1";
          box.dispatchEvent(new Event("input"));
          return performance.now() - t0;
        })()`)) as number;
        const heap = (await cdp.send("Runtime.getHeapUsage")) as { usedSize: number };
        scripts.push(timing.script);
        ttis.push(timing.tti);
        searches.push(search);
        heaps.push(heap.usedSize / 1e6);
        await context.close();
      }
    } finally {
      server.close();
    }
    results.push({
      rows,
      html: html.length,
      htmlGzip: gzipSync(html).length,
      json: json.length,
      jsonGzip: gzipSync(json).length,
      transferred,
      tti: median(ttis),
      search: median(searches),
      heapMB: median(heaps),
      scriptMs: median(scripts),
    });
  }
} finally {
  await browser.close();
  await rm(root, { recursive: true, force: true });
}

console.log(`Chromium ${version} (${CHROMIUM}), headless; median of ${runs} loads; ${new Date().toISOString()}`);
console.log("| rows | index.html | gzip | catalog.json | gzip | bytes loaded | interactive | of it the page's script | one search keystroke | JS heap |");
console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of results) {
  console.log(`| ${r.rows.toLocaleString("en-US")} | ${kB(r.html)} | ${kB(r.htmlGzip)} | ${kB(r.json)} | ${kB(r.jsonGzip)} | ${kB(r.transferred)} | ${r.tti.toFixed(0)} ms | ${r.scriptMs.toFixed(0)} ms | ${r.search.toFixed(1)} ms | ${r.heapMB.toFixed(1)} MB |`);
}
const base = results.find((r) => r.rows === 2000);
if (base) {
  for (const r of results.filter((x) => x !== base)) {
    console.log(`${r.rows} vs 2,000 rows: weight x${(r.html / base.html).toFixed(2)}, interactive x${(r.tti / base.tti).toFixed(2)}, search x${(r.search / base.search).toFixed(2)}`);
  }
}
