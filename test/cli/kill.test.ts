/**
 * `kill -9` in the middle of `mirrorbot sync`, then a rerun: the built CLI runs as a real
 * process (a SIGKILL gives it no chance to clean up), with a source blob stalled so the kill
 * lands mid-copy. The CLI is compiled once into node_modules/.cache so the test runs the
 * current sources, not a stale dist/.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRoute, uploadedBlobs } from "../harness/access-log.js";
import { startFaultProxy, type FaultProxy } from "../harness/fault-proxy.js";
import type { SeededImage } from "../harness/oci-image.js";
import type { RunningRegistry } from "../harness/registry.js";
import { AUTH, digestAt, freshTarget, mirrored, seededSource, SKOPEO_CACHE, workDir, writeRunFiles } from "../engine/helpers/fault-world.js";

const TIMEOUT = 240_000;
const REPO = fileURLToPath(new URL("../../", import.meta.url));
const BUILD = join(REPO, "node_modules", ".cache", `mirrorbot-kill-test-${process.pid}`);
const MARK = `MIRRORBOT_KILL_TEST_${randomUUID().replaceAll("-", "")}`;

let source: RunningRegistry;
let images: SeededImage[];
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  // Compile the CLI as it is now; node resolves its packages from the repository's node_modules.
  await execa("npx", ["tsc", "-p", "tsconfig.json", "--outDir", BUILD], { cwd: REPO, timeout: 200_000, stdin: "ignore" });
  await writeFile(join(BUILD, "package.json"), '{ "type": "module" }\n');
  ({ source, images } = await seededSource());
}, TIMEOUT);

afterAll(async () => {
  for (const pid of markedProcesses()) process.kill(pid, "SIGKILL");
  for (const c of cleanups.splice(0)) await c().catch(() => undefined);
  await source?.stop();
  await rm(BUILD, { recursive: true, force: true });
});

/** Pids of live processes that inherited this test's marker variable (the CLI and anything it started). */
function markedProcesses(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").split("\0").some((v) => v.startsWith(`${MARK}=`))) {
        const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${entry}/status`, "latin1"))?.[1];
        if (state !== "Z") found.push(Number(entry));
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Files under `dir` whose bytes contain `secret` (its plain text or its base64 in an auth header). */
function filesHolding(dir: string, secret: string): string[] {
  const needles = [secret, Buffer.from(`${AUTH.username}:${secret}`).toString("base64")];
  const hits: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 8) return;
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      const st = statSync(path, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(path, depth + 1);
      else if (st.isFile() && st.size < 10_000_000 && needles.some((n) => readFileSync(path, "latin1").includes(n))) hits.push(path);
    }
  };
  if (existsSync(dir)) walk(dir, 0);
  return hits;
}

function startCli(cwd: string, config: string, env: Record<string, string>): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(BUILD, "src", "cli", "main.js"), "sync", "--config", config], { cwd, env, stdio: "ignore" });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exited };
}

async function until(what: string, ok: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

// Both copiers: the native one writes no credentials file at all; with skopeo the auth file a
// killed run leaves is removed by the next run, and skopeo dies with mirrorbot.
describe.each([
  { copier: "native", targetYaml: [] as string[] },
  { copier: "skopeo", targetYaml: ["copier: skopeo"] },
])("mirrorbot sync killed with SIGKILL, copier $copier", ({ copier, targetYaml }) => {
  let target: RunningRegistry;
  let proxy: FaultProxy;
  let work: { dir: string; dispose: () => Promise<void> };
  let env: Record<string, string>;
  let config: string;
  /** Blobs whose upload the target completed before the kill. */
  let landed: Set<string>;
  let before: number;

  beforeAll(async () => {
    target = await freshTarget();
    work = await workDir();
    cleanups.push(() => target.stop(), () => work.dispose());
  }, TIMEOUT);

  it("leaves no process behind", async () => {
    const victim = images.find((i) => i.repo === "library/alpine")!;
    const stalled = victim.manifests[0]!.layers[0]!.digest;
    proxy = await startFaultProxy(source, [{ kinds: ["blob-get"], where: (r) => r.reference === stalled, fault: { kind: "stall", ms: 150_000 } }]);
    cleanups.unshift(() => proxy.close());
    const tmp = join(work.dir, "tmp");
    await mkdir(tmp, { recursive: true });
    await rm(SKOPEO_CACHE, { force: true });
    const lines = images.map((i) => `${proxy.host}/${i.repo}:${i.tag}`);
    config = await writeRunFiles({ work: work.dir, targetHost: target.host, sources: [{ host: proxy.host }], lines, targetYaml });
    env = {
      PATH: process.env.PATH ?? "",
      HOME: work.dir,
      TMPDIR: tmp,
      XDG_RUNTIME_DIR: tmp,
      TARGET_USER: AUTH.username,
      TARGET_PASSWORD: AUTH.password,
      [MARK]: "1",
    };

    const first = startCli(work.dir, config, env);
    // Kill once some blobs have landed in the target and the stalled download is hanging.
    await until("blobs landing in the target and the stalled GET", () => uploadedBlobs(target.accessLog()).length >= 3 && proxy.count("stall") >= 1, 90_000);
    first.child.kill("SIGKILL");
    await first.exited;
    // A request the killed run had fully sent may still be answered (a blob PUT completing):
    // wait until the target's log stops growing, so it counts as the killed run's.
    let seen = -1;
    for (let i = 0; i < 40 && seen !== (await target.settledAccessLog()).length; i++) {
      seen = (await target.settledAccessLog()).length;
      await new Promise((r) => setTimeout(r, 500));
    }
    landed = new Set(uploadedBlobs(await target.settledAccessLog()).map((u) => u.digest));
    expect(landed.size).toBeGreaterThanOrEqual(3);
    before = (await target.settledAccessLog()).length;

    await until("processes the killed run started to end", () => markedProcesses().length === 0, 5_000).catch(() => undefined);
    expect(markedProcesses()).toEqual([]);
  }, TIMEOUT);

  it.runIf(copier === "native")("leaves no file holding the credentials", () => {
    expect(landed, "the kill above ran").toBeDefined();
    expect(filesHolding(work.dir, AUTH.password)).toEqual([]);
  });

  it("the rerun copies everything, re-uploads nothing that had landed, and leaves no credentials", async () => {
    expect(landed, "the kill above ran").toBeDefined();
    proxy.setRules([]);
    const second = startCli(work.dir, config, env);
    const timer = setTimeout(() => second.child.kill("SIGKILL"), 120_000);
    const code = await second.exited;
    clearTimeout(timer);
    expect(code).toBe(0);
    for (const img of images) expect(await digestAt(target, mirrored(img)), img.repo).toBe(img.digest);
    const again = uploadedBlobs((await target.settledAccessLog()).slice(before)).filter((u) => landed.has(u.digest));
    expect(again).toEqual([]);
    expect(markedProcesses()).toEqual([]);
    expect(filesHolding(work.dir, AUTH.password)).toEqual([]);
    // The rerun really copied: manifests went up for every image.
    const puts = (await target.settledAccessLog()).slice(before).filter((e) => e.method === "PUT" && parseRoute(e.path).kind === "manifest");
    expect(puts.length).toBeGreaterThanOrEqual(1);
  }, TIMEOUT);
});
