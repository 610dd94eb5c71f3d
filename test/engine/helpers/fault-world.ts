/**
 * What the fault tests share: a source registry seeded with six images (shared base and
 * runtime layers, one multi-arch index), fresh htpasswd targets, and `mirrorbot sync` run
 * in-process against hosts that may be fault proxies.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../../src/cli/sync.js";
import { parseResult, type SyncResult } from "../../../src/engine/result.js";
import { parseRoute, type AccessLogEntry } from "../../harness/access-log.js";
import { MEDIA_TYPES, type PlatformSpec, type SeededImage, seedImages } from "../../harness/oci-image.js";
import { startRegistry, type RegistryAuth, type RunningRegistry } from "../../harness/registry.js";
import { localConfigYaml } from "../../harness/mirror-config.js";

export const AUTH: RegistryAuth = { username: "mirror", password: "f4ult-Target-pw" };
// skopeo's blob-info cache as root: removed so every run is as fresh as a GitHub runner.
export const SKOPEO_CACHE = "/var/lib/containers/cache/blob-info-cache-v1.boltdb";
const ACCEPT = [MEDIA_TYPES.index, MEDIA_TYPES.manifest, "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json"].join(", ");

/**
 * Engine settings every fault test runs with: a stall timeout far below the 150 s stalls the
 * proxy injects, so a test that passes proves the engine cut the stall.
 */
export const ENGINE_YAML = ["engine: { concurrency: 4, stallTimeout: 5 }"];

const base = { seed: "fault-base", size: 400_000 };
const runtime = { seed: "fault-runtime", size: 300_000 };
const amd64 = (...layers: Array<{ seed: string; size: number }>): PlatformSpec[] => [{ os: "linux", architecture: "amd64", layers }];

/** Six images: a multi-arch index, shared base and runtime layers, and own layers of 150-300 kB. */
export function faultImages(prefix = "fault"): Array<{ repo: string; tag: string; platforms: PlatformSpec[] }> {
  const own = (name: string, size: number) => ({ seed: `${prefix}-${name}`, size });
  return [
    {
      repo: "library/nginx",
      tag: "1.26",
      platforms: [
        { os: "linux", architecture: "amd64", layers: [base, own("nginx-amd64", 200_000)] },
        { os: "linux", architecture: "arm64", variant: "v8", layers: [{ seed: "fault-base-arm64", size: 350_000 }, own("nginx-arm64", 180_000)] },
      ],
    },
    { repo: "library/redis", tag: "7", platforms: amd64(base, runtime, own("redis", 200_000)) },
    { repo: "bitnami/redis", tag: "7", platforms: amd64(base, runtime, own("bitnami-redis", 220_000)) },
    { repo: "library/busybox", tag: "1", platforms: amd64(own("busybox", 250_000)) },
    { repo: "team/app", tag: "2.0", platforms: amd64(base, own("app", 300_000)) },
    { repo: "library/alpine", tag: "3", platforms: amd64(own("alpine", 150_000)) },
  ];
}

/** A source registry (no auth) holding `faultImages()`. */
export async function seededSource(): Promise<{ source: RunningRegistry; images: SeededImage[] }> {
  const source = await startRegistry();
  try {
    return { source, images: await seedImages(source, faultImages()) };
  } catch (err) {
    await source.stop();
    throw err;
  }
}

/** An empty target with htpasswd auth (AUTH). */
export function freshTarget(): Promise<RunningRegistry> {
  return startRegistry({ auth: AUTH });
}

/** Where `mirror/` puts an image with the default flat naming, e.g. "mirror/library_nginx:1.26". */
export function mirrored(img: { repo: string; tag: string }): string {
  return `mirror/${img.repo.replace("/", "_")}:${img.tag}`;
}

/** The digest a registry answers for `repo:tag`, or null when it has none. */
export async function digestAt(reg: RunningRegistry, repoTag: string, auth: RegistryAuth | undefined = reg.auth): Promise<string | null> {
  const colon = repoTag.lastIndexOf(":");
  const headers: Record<string, string> = { accept: ACCEPT };
  if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
  const res = await fetch(`${reg.url}/v2/${repoTag.slice(0, colon)}/manifests/${repoTag.slice(colon + 1)}`, { method: "HEAD", headers, signal: AbortSignal.timeout(10_000) });
  return res.status === 200 ? res.headers.get("docker-content-digest") : null;
}

/** Whether the target repository serves `digest` (a blob linked into that repository). */
export async function blobIn(reg: RunningRegistry, repo: string, digest: string): Promise<boolean> {
  const headers: Record<string, string> = {};
  if (reg.auth) headers.authorization = `Basic ${Buffer.from(`${reg.auth.username}:${reg.auth.password}`).toString("base64")}`;
  const res = await fetch(`${reg.url}/v2/${repo}/blobs/${digest}`, { method: "HEAD", headers, signal: AbortSignal.timeout(10_000) });
  return res.status === 200;
}

/** Blob bytes the registry sent in answers to blob GETs (full and ranged). */
export function blobBytesServed(log: readonly AccessLogEntry[], digest?: string): number {
  return log
    .filter((e) => e.method === "GET" && (e.status === 200 || e.status === 206))
    .filter((e) => {
      const route = parseRoute(e.path);
      return route.kind === "blob" && (digest === undefined || route.digest === digest);
    })
    .reduce((n, e) => n + e.bytesOut, 0);
}

/** A throw-away working directory for one test file. */
export async function workDir(): Promise<{ dir: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "mirrorbot-faults-"));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** What a run printed and reported. */
export interface MirrorOutcome {
  code: number;
  stdout: string;
  stderr: string;
  result: SyncResult | null;
}

/** Options of `mirror`. */
export interface MirrorOptions {
  work: string;
  /** Host the target is reached at (a fault proxy, or the registry itself). */
  targetHost: string;
  /** Source hosts to configure with tlsVerify false (and credentials, when given). */
  sources: Array<{ host: string; credentials?: { usernameEnv: string; passwordEnv: string } }>;
  /** images.txt lines. */
  lines: string[];
  args?: string[];
  env?: Record<string, string>;
  /** More YAML lines for the config (after `engine`); replaces ENGINE_YAML when it has an `engine:` line. */
  extraYaml?: string[];
  /** Target credentials variables; default TARGET_USER / TARGET_PASSWORD holding AUTH. */
  targetCredentials?: boolean;
  /** Per-target YAML lines, e.g. "copier: skopeo". */
  targetYaml?: string[];
}

/** Write the config and images.txt for `opts` into `opts.work`; returns the config path. */
export async function writeRunFiles(opts: MirrorOptions): Promise<string> {
  const extra = opts.extraYaml ?? [];
  const engine = extra.some((l) => l.startsWith("engine:")) ? [] : ENGINE_YAML;
  const yaml = localConfigYaml({
    targetHost: opts.targetHost,
    sources: opts.sources,
    ...(opts.targetCredentials === undefined ? {} : { targetCredentials: opts.targetCredentials }),
    ...(opts.targetYaml ? { targetYaml: opts.targetYaml } : {}),
    extra: [...engine, ...extra],
  });
  const config = join(opts.work, "mirrorbot.yml");
  await writeFile(config, yaml);
  await writeFile(join(opts.work, "images.txt"), `${opts.lines.join("\n")}\n`);
  return config;
}

/** Run `mirrorbot sync` in-process with result.json, and read the result back. */
export async function mirror(opts: MirrorOptions): Promise<MirrorOutcome> {
  await rm(SKOPEO_CACHE, { force: true });
  const config = await writeRunFiles(opts);
  const resultFile = join(opts.work, "result.json");
  await rm(resultFile, { force: true });
  let stdout = "";
  let stderr = "";
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: opts.work };
  const code = await run(["--config", config, "--result", resultFile, ...(opts.args ?? [])], io, {
    PATH: process.env.PATH ?? "",
    HOME: opts.work,
    TARGET_USER: AUTH.username,
    TARGET_PASSWORD: AUTH.password,
    ...opts.env,
  });
  const text = await readFile(resultFile, "utf8").catch(() => null);
  return { code, stdout, stderr, result: text === null ? null : parseResult(JSON.parse(text)) };
}
