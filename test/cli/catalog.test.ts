import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCatalog } from "../../src/catalog/schema.js";
import { run } from "../../src/cli/catalog.js";
import { main } from "../../src/cli/main.js";
import { result, task } from "../catalog/fixtures.js";
import { runCommand, useWorkdirs } from "./helpers.js";

const workdir = useWorkdirs("mirrorbot-catalog-");
const json = (value: unknown) => JSON.stringify(value);
const first = json(result("2026-12-01T08:00:00.000Z", [task()]));
const second = json(result("2026-12-01T09:00:00.000Z", [task({ source: "docker.io/library/redis:7", target: "registry.example.com/mirror/redis:7" })]));
const noEnv = {};
const catalog = (cwd: string, argv: string[]) => runCommand((a, io) => run(a, io, noEnv), cwd, argv);

describe("mirrorbot catalog", () => {
  it("merges result files into the previous catalogue and writes the site, linking runs by their directory", async () => {
    const dir = await workdir({ "runs/101/result.json": first, "runs/102/shard-1/result.json": second });
    const built = await catalog(dir, ["--results", "runs", "--out", "site", "--repository", "https://github.com/octo/mirror"]);
    expect(built).toEqual({
      code: 0,
      stdout: "Catalogue: 2 images (2 fresh, 0 behind, 0 failed) from 2 result files; wrote index.html, catalog.json and badge.svg to site\n",
      stderr: "",
    });
    expect((await readdir(join(dir, "site"))).sort()).toEqual(["badge.svg", "catalog.json", "index.html"]);
    const state = parseCatalog(JSON.parse(await readFile(join(dir, "site/catalog.json"), "utf8")));
    expect(state.images.map((i) => [i.id, i.targets[0]!.run])).toEqual([
      ["docker.io/library/nginx:1.26", "https://github.com/octo/mirror/actions/runs/101"],
      ["docker.io/library/redis:7", "https://github.com/octo/mirror/actions/runs/102"],
    ]);
    // The next run: one new result and the deployed catalogue.
    const next = await workdir({ "previous.json": await readFile(join(dir, "site/catalog.json"), "utf8"), "result.json": json(result("2026-12-02T08:00:00.000Z", [task({ status: "skipped" })])) });
    expect((await catalog(next, ["-r", "result.json", "-p", "previous.json", "-o", "out"])).stdout).toBe(
      "Catalogue: 2 images (2 fresh, 0 behind, 0 failed) from 1 result file and the previous catalogue; wrote index.html, catalog.json and badge.svg to out\n",
    );
    const merged = parseCatalog(JSON.parse(await readFile(join(next, "out/catalog.json"), "utf8")));
    expect(merged.images[0]!.targets[0]).toMatchObject({ lastChecked: "2026-12-02T08:00:00.000Z", lastCopied: "2026-12-01T08:00:00.000Z" });
    expect(merged.repository).toBe("https://github.com/octo/mirror");
  });

  it("takes the repository from the Actions environment", async () => {
    const dir = await workdir({ "runs/7/result.json": first });
    const env = { GITHUB_SERVER_URL: "https://github.com", GITHUB_REPOSITORY: "octo/mirror" };
    expect((await runCommand((a, io) => run(a, io, env), dir, ["-r", "runs", "-o", "site"])).code).toBe(0);
    const state = parseCatalog(JSON.parse(await readFile(join(dir, "site/catalog.json"), "utf8")));
    expect(state.images[0]!.targets[0]!.run).toBe("https://github.com/octo/mirror/actions/runs/7");
  });

  it("writes nothing when a result file is not a result, naming the file", async () => {
    const dir = await workdir({ "runs/1/result.json": first, "runs/2/result.json": json({ version: 2 }) });
    const out = await catalog(dir, ["-r", "runs", "-o", "site"]);
    expect(out.code).toBe(1);
    expect(out.stderr).toBe(`mirrorbot catalog: ${join(dir, "runs/2/result.json")}: not a result.json: version: Invalid input: expected 1; nothing written\n`);
    await expect(readdir(join(dir, "site"))).rejects.toThrow(/ENOENT/);
  });

  it("skips invalid result files with a warning when asked to", async () => {
    const dir = await workdir({ "runs/1/result.json": first, "runs/2/result.json": "{not json" });
    const out = await catalog(dir, ["-r", "runs", "-o", "site", "--skip-invalid"]);
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/^mirrorbot catalog: warning: skipped .*runs\/2\/result\.json: not JSON: /);
    expect(out.stdout).toContain("Catalogue: 1 image (1 fresh,");
  });

  it("writes nothing for a private repository unless catalog.enabled is true", async () => {
    const dir = await workdir({ "result.json": first });
    expect(await catalog(dir, ["-r", "result.json", "-o", "site", "--visibility", "private"])).toEqual({
      code: 0,
      stdout: "The catalogue is off: the repository is private and a Pages site is public on most plans; set catalog.enabled to true to publish anyway. Nothing written.\n",
      stderr: "",
    });
    await expect(readdir(join(dir, "site"))).rejects.toThrow(/ENOENT/);
    const on = await workdir({ "result.json": first, ".github/mirrorbot.yml": "catalog:\n  enabled: true\n" });
    expect((await catalog(on, ["-r", "result.json", "-o", "site", "--visibility", "private"])).code).toBe(0);
    const off = await workdir({ "result.json": first, ".github/mirrorbot.yml": "catalog:\n  enabled: false\n" });
    expect((await catalog(off, ["-r", "result.json", "-o", "site"])).stdout).toBe("The catalogue is off: catalog.enabled is false. Nothing written.\n");
  });

  it("refuses bad arguments and a previous file that is not a catalogue", async () => {
    const dir = await workdir({ "result.json": first, "previous.json": json({ version: 9 }) });
    expect(await catalog(dir, ["-r", "result.json"])).toEqual({ code: 2, stdout: "", stderr: 'mirrorbot catalog: missing --out DIR\nRun "mirrorbot catalog --help" for usage.\n' });
    expect((await catalog(dir, ["-r", "result.json", "-o", "s", "--visibility", "secret"])).stderr).toContain('--visibility: expected one of public, private, internal, got "secret"');
    expect((await catalog(dir, ["-r", "result.json", "-o", "s", "--repository", "javascript:alert(1)"])).code).toBe(2);
    const prev = await catalog(dir, ["-r", "result.json", "-o", "s", "-p", "previous.json"]);
    expect(prev.code).toBe(1);
    expect(prev.stderr).toContain("previous.json: not a catalog.json this version reads: version:");
  });

  it("reads the previous catalogue back from the Pages site; a site not there yet starts empty, a failure stops", async () => {
    const dir = await workdir({ "runs/5/result.json": second, "prev/result.json": first });
    expect((await catalog(dir, ["-r", "prev/result.json", "-o", "deployed"])).code).toBe(0);
    const deployed = await readFile(join(dir, "deployed/catalog.json"), "utf8");
    const asked: string[] = [];
    const pages = (status: number, body = deployed): typeof fetch =>
      (async (url: string | URL) => {
        asked.push(String(url));
        return new Response(status === 200 ? body : "not found", { status });
      }) as typeof fetch;
    const env = { GITHUB_SERVER_URL: "https://github.com", GITHUB_REPOSITORY: "Octo/mirror" };
    const build = (f: typeof fetch) => runCommand((a, io) => run(a, io, env, f), dir, ["-r", "runs", "-o", "site", "--previous-from-pages"]);

    expect((await build(pages(200))).stdout).toContain("Catalogue: 2 images (2 fresh, 0 behind, 0 failed) from 1 result file and the previous catalogue");
    expect(asked[0]).toMatch(/^https:\/\/octo\.github\.io\/mirror\/catalog\.json\?t=\d+$/);
    expect((await build(pages(404))).stdout).toContain("Catalogue: 1 image (1 fresh, 0 behind, 0 failed) from 1 result file;");
    const failed = await build(pages(503));
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(
      "mirrorbot catalog: https://octo.github.io/mirror/catalog.json: HTTP 503 fetching the deployed catalogue; nothing written, so the deployed catalogue keeps every image it has\n",
    );
    expect((await build(pages(200, "<html>"))).code).toBe(1);
  });

  it("--decide prints whether the catalogue is on, for the workflow", async () => {
    const dir = await workdir({});
    expect(await catalog(dir, ["--decide", "--visibility", "public"])).toEqual({ code: 0, stdout: "enabled=true\n", stderr: "The catalogue is on: the repository is public (catalog.enabled: auto).\n" });
    expect((await catalog(dir, ["--decide", "--visibility", "private"])).stdout).toBe("enabled=false\n");
  });

  it("is listed by mirrorbot --help", async () => {
    const out = await runCommand((a, io) => main(a, io), process.cwd(), ["--help"]);
    expect(out.stdout).toMatch(/^ {2}catalog +build the catalogue site \(index\.html, catalog\.json, badge\) from result files$/m);
  });
});
