/**
 * `kill -9` in the middle of a sync, then a second run: nothing that had landed is uploaded
 * again, no credentials file and no process is left behind. Runs the built bin (`npm ci`
 * builds it; skipped when dist/ is older than the sources).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../src/cli/sync.js";
import { uploadedBlobs } from "../harness/access-log.js";
import { startFaultProxy } from "../harness/fault-proxy.js";
import { type PlatformSpec, type SeededImage, seedImages } from "../harness/oci-image.js";
import { type RunningRegistry, startRegistry } from "../harness/registry.js";
import { localConfigYaml } from "../harness/mirror-config.js";

const TIMEOUT = 180_000;
const AUTH = { username: "mirror", password: "k1ll-Target-pass" };
const repo = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(repo, "dist/src/cli/main.js");
const fresh = (() => {
  if (!existsSync(bin)) return false;
  const built = statSync(bin).mtimeMs;
  const newer = (dir: string): boolean =>
    readdirSync(join(repo, dir), { withFileTypes: true }).some((e) =>
      e.isDirectory() ? newer(join(dir, e.name)) : e.name.endsWith(".ts") && statSync(join(repo, dir, e.name)).mtimeMs > built,
    );
  return !["src/cli", "src/domain", "src/engine"].some(newer);
})();

const amd64 = (seed: string): PlatformSpec[] => [
  { os: "linux", architecture: "amd64", layers: [{ seed: "kill-base", size: 300_000 }, { seed, size: 200_000 }] },
];

let source: RunningRegistry;
let target: RunningRegistry;
let work: string;

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry(), startRegistry({ auth: AUTH })]);
  work = await mkdtemp(join(tmpdir(), "mirrorbot-kill-"));
}, TIMEOUT);

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

async function config(name: string, targetHost: string): Promise<void> {
  await writeFile(join(work, name), localConfigYaml({ targetHost, sources: [{ host: source.host }] }));
}

const env = { PATH: process.env.PATH ?? "", HOME: "", TARGET_USER: AUTH.username, TARGET_PASSWORD: AUTH.password };

/** Wait until `check` holds, polling a bounded number of times. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** PIDs of live processes whose command line mentions `needle`. */
function processesMentioning(needle: string): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));
}

describe.runIf(fresh)("kill -9 mid-run, then run again", () => {
  it.each(["native", "skopeo"])("re-uploads nothing that had landed and leaves no credentials or processes (%s copier)", async (copier) => {
    const images: SeededImage[] = await seedImages(
      source,
      ["a", "b", "c"].map((n) => ({ repo: `kill-${copier}/${n}`, tag: "1", platforms: amd64(`kill-${copier}-${n}`), labels: { copier } })),
    );
    const stalled = images[2]!.manifests[0]!.layers[1]!.digest;
    // The last image's own layer never finishes uploading: the run is mid-flight when killed.
    const proxy = await startFaultProxy(target, [{ kinds: ["upload-put"], where: (r) => r.reference === stalled, fault: { kind: "stall", ms: 600_000 } }]);
    const lines = images.map((i) => `${source.host}/${i.repo}:1`);
    await writeFile(join(work, `images-${copier}.txt`), `${lines.join("\n")}\n`);
    await config(`proxy-${copier}.yml`, proxy.host);
    await config(`direct-${copier}.yml`, target.host);
    const before = (await target.settledAccessLog()).length;
    const child = spawn(process.execPath, [bin, "sync", `images-${copier}.txt`, "--config", `proxy-${copier}.yml`, "--copier", copier, "--concurrency", "2"], {
      cwd: work,
      env: { ...env, HOME: work },
      stdio: "ignore",
    });
    try {
      // Killed once the two other images' own layers have landed.
      const others = images.slice(0, 2).map((i) => i.manifests[0]!.layers[1]!.digest);
      await until(() => {
        const landed = new Set(uploadedBlobs(target.accessLog().slice(before)).map((b) => b.digest));
        return others.every((d) => landed.has(d));
      }, "the first uploads to land");
      child.kill("SIGKILL");
      await exited(child);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await proxy.close();
    }
    const landed = new Set(uploadedBlobs((await target.settledAccessLog()).slice(before)).map((b) => b.digest));
    expect(landed.size).toBeGreaterThanOrEqual(2);

    // Nothing of the killed run is left running (skopeo dies with it), whatever it wrote is ours to find.
    const pid = child.pid!;
    await until(() => processesMentioning(`mirrorbot-copy-${pid}-`).length === 0, "no process of the killed run");
    const mine = () => readdirSync(tmpdir()).filter((n) => n.startsWith(`mirrorbot-auth-${pid}-`) || n.startsWith(`mirrorbot-copy-${pid}-`));
    if (copier === "native") expect(mine()).toEqual([]);

    let stdout = "";
    const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, cwd: work };
    const mark = (await target.settledAccessLog()).length;
    const code = await run([`images-${copier}.txt`, "--config", `direct-${copier}.yml`, "--copier", copier], io, { ...env, HOME: work });
    expect([code, stdout]).toEqual([0, expect.stringMatching(/^done: \d copied, \d skipped, 0 failed/m)]);
    const again = uploadedBlobs((await target.settledAccessLog()).slice(mark)).map((b) => b.digest);
    if (copier === "native") expect(again.filter((d) => landed.has(d))).toEqual([]);
    expect(again).toContain(stalled);
    // The second run removed what the killed one left in the temp dir (the skopeo copier's auth and copy dirs).
    expect(mine()).toEqual([]);
  }, TIMEOUT);
});
