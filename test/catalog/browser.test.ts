/**
 * The catalogue page in a real headless Chromium (Debian's package through playwright-core):
 * built by `mirrorbot catalog` from the 2,000-image fixture, served on 127.0.0.1, then searched,
 * filtered, switched to Chinese, copied from, and checked that no hostile string runs or links.
 * The screenshot is kept at test/artifacts/catalogue.png.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mergeRuns } from "../../src/catalog/merge.js";
import { run as catalog } from "../../src/cli/catalog.js";
import { expectedState, fixtureImages, HOSTILE, REPOSITORY, writeFixtureResults } from "./big-fixture.js";
import { result, task } from "./fixtures.js";
import { launchChromium, serveDirectory } from "./serve.js";

const ARTIFACTS = new URL("../artifacts/", import.meta.url);
const images = fixtureImages();
const TOTAL = images.length + 1; // and one row only the previous catalogue has
const EVIL_RUN = "https://evil.example.com/octo/mirror/actions/runs/66";

let dir: string;
let server: Server;
let base: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const dialogs: string[] = [];
const errors: string[] = [];

/** Open the page in `context` and wait until its script has drawn it. */
async function open(ctx: BrowserContext, hash = ""): Promise<Page> {
  const p = await ctx.newPage();
  p.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  p.on("pageerror", (e) => errors.push(e.message));
  await p.goto(base + hash);
  await p.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
  return p;
}

const count = () => page.textContent("#count");
const setSearch = (text: string) => page.fill("#search", text);
// Page code as strings: this project's TypeScript has no DOM types.
const pwned = () => page.evaluate("window.__pwned ?? null");
const number = (n: number) => n.toLocaleString("en-US");
/** How the page titles a source: Docker's short name. */
const shortName = (source: string) => source.replace(/^docker\.io\/(library\/)?/, "");
/** Every test starts from the whole list. */
async function reset(): Promise<void> {
  await setSearch("");
  for (const id of ["#registry", "#status", "#platform"]) await page.selectOption(id, "");
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mirrorbot-catalogue-"));
  await writeFixtureResults(join(dir, "results"));
  // A previous catalogue holding a row no new result touches, with a run link that is http(s)
  // (so the schema takes it) but not one of this repository's runs: the page must not link it.
  const previous = mergeRuns(
    null,
    [{ key: "66", url: EVIL_RUN, result: result("2026-11-01T00:00:00.000Z", [task({ source: "docker.io/evil/previous:1", target: "registry.example.com/mirror/previous:1", status: "failed", error: "gone", targetDigest: null })]) }],
    { now: new Date("2026-11-01T00:00:00.000Z"), repository: REPOSITORY },
  );
  await writeFile(join(dir, "previous.json"), JSON.stringify(previous));
  const out: string[] = [];
  const code = await catalog(["--results", "results", "--previous", "previous.json", "--out", "site", "--repository", REPOSITORY], {
    cwd: dir,
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => out.push(s) },
  });
  expect(out.join(""), "mirrorbot catalog").toContain(`Catalogue: ${TOTAL} images`);
  expect(code).toBe(0);
  ({ server, url: base } = await serveDirectory(join(dir, "site")));
  browser = await launchChromium();
  context = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base.replace(/\/$/, "") });
  page = await open(context);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the catalogue page in Chromium", { timeout: 120_000 }, () => {
  it("shows every image, the counts and the first batch of rows", async () => {
    expect(await count()).toBe(`${number(TOTAL)} of ${number(TOTAL)} images`);
    const behind = images.filter((i) => expectedState(i.index) === "behind").length;
    const failed = images.filter((i) => expectedState(i.index) === "failed").length + 1;
    expect(await page.textContent("#summary")).toMatch(
      new RegExp(`^${number(TOTAL)} images · ${number(TOTAL - behind - failed)} fresh · ${behind} behind · ${failed} failed · updated \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC$`),
    );
    expect(await page.locator("article.row").count()).toBe(30);
  });

  it("searches instantly, across sources and target references", async () => {
    await reset();
    await setSearch("app1234");
    expect(await count()).toBe(`1 of ${number(TOTAL)} images`);
    expect(await page.locator("article.row h2").allTextContents()).toEqual([shortName(images[1234]!.source)]);
    await setSearch("registry.cn-hangzhou.aliyuncs.com/octo/app77:");
    expect(await page.locator("article.row h2").allTextContents()).toEqual([shortName(images[77]!.source)]);
    await setSearch("no-such-image");
    expect(await count()).toBe(`0 of ${number(TOTAL)} images`);
    expect(await page.isVisible("#empty")).toBe(true);
    await setSearch("");
  });

  it("filters by registry, status and platform, alone and together", async () => {
    await reset();
    const expectCount = async (n: number) => expect(await count()).toBe(`${number(n)} of ${number(TOTAL)} images`);
    await page.selectOption("#status", "failed");
    await expectCount(images.filter((i) => expectedState(i.index) === "failed").length + 1);
    expect(new Set(await page.locator("article.row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-state"))))).toEqual(new Set(["failed"]));
    await page.selectOption("#registry", "ghcr.io");
    const ghcr = (i: (typeof images)[number]) => i.source.startsWith("ghcr.io/");
    await expectCount(images.filter((i) => ghcr(i) && expectedState(i.index) === "failed").length);
    await page.selectOption("#status", "");
    await page.selectOption("#platform", "linux/arm/v7");
    await expectCount(images.filter((i) => ghcr(i) && i.platforms?.includes("linux/arm/v7")).length);
    await page.selectOption("#registry", "");
    await expectCount(images.filter((i) => i.platforms?.includes("linux/arm/v7")).length);
    await page.selectOption("#platform", "");
    await expectCount(TOTAL);
  });

  it("copies the pull command and the docker tag line back to the original name", async () => {
    await reset();
    await setSearch("docker.io/library/app0:1.0.0");
    const hub = page.locator("article.row li", { hasText: "registry.example.com/mirror/app0:1.0" });
    await hub.locator("button.copy").click();
    await expect.poll(() => hub.locator("button.copy").textContent()).toBe("Copied");
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(
      "docker pull registry.example.com/mirror/app0:1.0\ndocker tag registry.example.com/mirror/app0:1.0 app0:1.0.0",
    );
    await setSearch("");
  });

  it("links a request for a refresh to the issue form, prefilled", async () => {
    await reset();
    await setSearch("app0:1.0.0");
    expect(await page.getAttribute("article.row a.refresh", "href")).toBe(
      `${REPOSITORY}/issues/new?template=mirror.yml&title=Mirror%3A+app0%3A1.0.0&images=app0%3A1.0.0`,
    );
    await setSearch("app9:");
    const line = encodeURIComponent(`--platform=linux/arm64 ${images[9]!.source}`).replace(/%20/g, "+");
    expect(images[9]!.platform).toBe("linux/arm64");
    expect(await page.getAttribute("article.row a.refresh", "href")).toBe(`${REPOSITORY}/issues/new?template=mirror.yml&title=Mirror%3A+${line}&images=${line}`);
    expect(await page.getAttribute("#another", "href")).toBe(`${REPOSITORY}/issues/new?template=mirror.yml`);
    await setSearch("");
  });

  it("shows a failure's reason with a link to its run, and tag rules with the tags they matched", async () => {
    await reset();
    await setSearch("app2:1.2.2");
    const aliyun = page.locator("article.row li", { hasText: "aliyun" });
    expect(await aliyun.locator(".reason").textContent()).toBe(`${HOSTILE.error} (run)`);
    expect(await aliyun.locator(".reason a").getAttribute("href")).toBe(`${REPOSITORY}/actions/runs/1002`);
    await setSearch("app7:");
    const rule = images[7]!.rule!;
    const matched = images.filter((i) => i.rule === rule).map((i) => shortName(i.source));
    expect(await page.textContent("article.row details.rule-tags summary")).toBe(`Tag rule: ${rule} · matched ${matched.length} tags`);
    expect(await page.textContent("article.row details.rule-tags div")).toBe(matched.sort().join(", "));
    await setSearch("");
  });

  it("runs no hostile string and turns none into a link", async () => {
    await reset();
    await setSearch("evil");
    expect(await count()).toBe(`5 of ${number(TOTAL)} images`);
    const titles = await page.locator("article.row h2").allTextContents();
    // Unparseable sources are shown whole; the bidi overrides are shown, not obeyed.
    expect(titles.sort()).toEqual([HOSTILE.scriptSource, HOSTILE.imgSource, HOSTILE.jsSource, "docker.io/evil/<U+202E>gnp.exe<U+202C>:1", "evil/previous:1"].sort());
    // Every hostile string is on screen now (sources, the tag rule, and with app2 the error text).
    const allowed = ["", `${REPOSITORY}/actions/runs/N`, `${REPOSITORY}/issues/new`];
    const look = async () =>
      (await page.evaluate(`({
        scripts: document.scripts.length,
        images: [...document.images].map((i) => i.getAttribute("src")),
        hrefs: [...new Set([...document.querySelectorAll("a[href]")].map((a) => a.getAttribute("href").replace(/[?#].*$/, "").replace(/\\/runs\\/\\d+$/, "/runs/N")))],
        bidi: /[\\u202a-\\u202e\\u2066-\\u2069]/.test(document.body.innerText),
      })`)) as { scripts: number; images: string[]; hrefs: string[]; bidi: boolean };
    expect(await page.textContent("article.row details.rule-tags summary")).toBe(`Tag rule: ${HOSTILE.rule} · matched 1 tags`);
    for (const search of ["evil", "app2:1.2.2"]) {
      await setSearch(search);
      const found = await look();
      expect(found.scripts, search).toBe(3);
      expect(found.images, search).toEqual(["badge.svg"]);
      expect(found.hrefs.filter((h) => !allowed.includes(h)), search).toEqual([]);
      expect(found.hrefs, search).toContain(`${REPOSITORY}/actions/runs/N`);
      expect(found.bidi, search).toBe(false);
    }
    expect(await page.textContent("article.row li .reason.failed")).toBe(`${HOSTILE.error} (run)`);
    expect(await pwned()).toBeNull();
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    // The previous catalogue's foreign run link is dropped, its reason kept.
    await setSearch("docker.io/evil/previous");
    expect(await page.locator("article.row .reason").textContent()).toBe("gone");
    expect(await page.locator("article.row .reason a").count()).toBe(0);
    await setSearch("");
  });

  it("switches to Chinese and back, and starts in Chinese for a Chinese browser", async () => {
    await reset();
    await page.click("#language");
    expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
    expect(await page.textContent("h1")).toBe("已镜像的镜像");
    expect(await count()).toBe(`显示 ${number(TOTAL)} / ${number(TOTAL)} 个镜像`);
    expect(await page.locator("article.row .pill").first().textContent()).toMatch(/^(最新|落后|失败)$/);
    await page.click("#language");
    expect(await page.textContent("h1")).toBe("Mirrored images");
    const zh = await browser.newContext({ locale: "zh-CN" });
    const zhPage = await open(zh);
    expect(await zhPage.textContent("#language")).toBe("English");
    expect(await zhPage.getAttribute("#search", "placeholder")).toBe("搜索镜像、标签、目标…");
    await zh.close();
  });

  it("opens at an image's row from the link in the bot's reply", async () => {
    const target = images[1500]!;
    const p = await open(context, `#${encodeURIComponent(target.source)}`);
    const row = p.locator("article.row.highlight");
    expect(await row.locator("h2").textContent()).toBe(shortName(target.source));
    expect(await row.isVisible()).toBe(true);
    expect(await row.evaluate((r) => r.getBoundingClientRect().top)).toBeLessThan(900);
    await p.close();
  });

  it("keeps a screenshot as a test artifact", async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await reset();
    await setSearch("app1");
    await page.evaluate("window.scrollTo(0, 0)");
    const path = new URL("catalogue.png", ARTIFACTS);
    await page.screenshot({ path: path.pathname });
    console.log(`catalogue screenshot: ${path.pathname}`);
  });
});
