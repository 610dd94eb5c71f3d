import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { badgeSvg } from "../../src/catalog/badge.js";
import { mergeRuns } from "../../src/catalog/merge.js";
import { jsonIsland } from "../../src/catalog/page/html.js";
import { PAGE_SCRIPT } from "../../src/catalog/page/script.js";
import { STRINGS } from "../../src/catalog/page/strings.js";
import { siteFiles } from "../../src/catalog/site.js";
import { pageData } from "../../src/catalog/view.js";
import { run, task } from "./fixtures.js";

const catalog = mergeRuns(
  null,
  [run("5", "2026-12-01T08:00:00.000Z", [task(), task({ source: "docker.io/evil/</script><script>alert(1)</script>:1", target: "registry.example.com/mirror/x:1" })])],
  { now: new Date("2026-12-01T09:00:00.000Z"), repository: "https://github.com/octo/mirror" },
);

describe("the site files", () => {
  it("are index.html, catalog.json and badge.svg; catalog.json is the catalogue", () => {
    const files = siteFiles(catalog);
    expect(Object.keys(files).sort()).toEqual(["badge.svg", "catalog.json", "index.html"]);
    expect(JSON.parse(files["catalog.json"])).toEqual(catalog);
  });

  it("embed the data so that no string can close its script element, and allow only the page's own script and style", () => {
    const html = siteFiles(catalog)["index.html"];
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
    const island = /<script type="application\/json" id="catalog-data">(.*?)<\/script>/s.exec(html)![1]!;
    expect(JSON.parse(island)).toEqual(pageData(catalog));
    expect(jsonIsland({ a: "</script>&\u2028" })).toBe('{"a":"\\u003c/script\\u003e\\u0026\\u2028"}');
    const sha = createHash("sha256").update(PAGE_SCRIPT).digest("base64");
    expect(html).toContain(`script-src 'sha256-${sha}'`);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="(https?:)?\/\//);
  });

  it("build the page's DOM from text only, never from HTML", () => {
    expect(PAGE_SCRIPT).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  });

  it("have every word in both languages", () => {
    expect(Object.keys(STRINGS.zh).sort()).toEqual(Object.keys(STRINGS.en).sort());
  });

  it("give the page short names, the name to tag back to, and the line to request a refresh with", () => {
    const [evil, nginx] = pageData(catalog).rows;
    expect(nginx).toMatchObject({ short: "nginx:1.26", tagBack: "nginx:1.26", registry: "docker.io", request: "nginx:1.26", state: "fresh" });
    expect(evil).toMatchObject({ short: "docker.io/evil/</script><script>alert(1)</script>:1", tagBack: null, registry: "docker.io" });
  });
});

describe("badgeSvg", () => {
  it("counts the images and says how many are behind or failed", () => {
    expect(badgeSvg({ images: 2000, fresh: 1990, behind: 7, failed: 3 })).toContain("<title>mirror: 2,000 images, 7 behind, 3 failed</title>");
    expect(badgeSvg({ images: 12, fresh: 12, behind: 0, failed: 0 })).toMatch(/<title>mirror: 12 images<\/title>[\s\S]*fill="#4c1"/);
  });
});
