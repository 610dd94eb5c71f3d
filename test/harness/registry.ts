/**
 * Start real distribution registries (`/usr/bin/docker-registry`, 2.8) on 127.0.0.1 for tests
 * and benchmarks.
 *
 * Always stop what you start, even when a test fails:
 *
 * ```ts
 * let source: RunningRegistry;
 * beforeAll(async () => { source = await startRegistry({}); }, 60_000);
 * afterAll(async () => { await source?.stop(); });
 * ```
 *
 * As a last resort, registries still running when the Node process exits or gets SIGTERM
 * (how vitest ends its workers) are killed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { completedUploadDigest, parseAccessLine, type AccessLogEntry } from "./access-log.js";
import { freePort } from "./ports.js";
import type { TokenAuthConfig } from "./token-server.js";

export type { AccessLogEntry } from "./access-log.js";

/** Username and password a registry accepts. */
export interface RegistryAuth {
  username: string;
  password: string;
}

/** Options for `startRegistry`. */
export interface RegistryOptions {
  /** Turn on htpasswd basic auth with this one user. */
  auth?: RegistryAuth;
  /** Turn on bearer token auth (`auth.token`) against a token server, e.g. startTokenServer's `registryAuth`. */
  token?: TokenAuthConfig;
  /** The registry binary; default `docker-registry` on PATH. */
  binary?: string;
}

/** A registry process serving plain HTTP on 127.0.0.1. */
export interface RunningRegistry {
  /** "127.0.0.1:PORT", the registry part of image references. */
  host: string;
  /** "http://127.0.0.1:PORT". */
  url: string;
  /** Temp dir holding the config, the htpasswd file and the storage; removed by stop(). */
  dir: string;
  pid: number;
  /** The credentials it accepts, when started with auth. */
  auth?: RegistryAuth;
  /**
   * Requests logged so far, oldest first, without the harness's own probes. A request whose
   * response just arrived may not be logged yet; use settledAccessLog() after the client is done.
   */
  accessLog(): AccessLogEntry[];
  /** The access log once every request answered before this call has been logged. */
  settledAccessLog(): Promise<AccessLogEntry[]>;
  /** Size of a blob in the registry's storage, or null when it has none. */
  blobSize(digest: string): number | null;
  /** Kill the process (SIGTERM, then SIGKILL) and remove `dir`. Safe to call twice. */
  stop(): Promise<void>;
}

const READY_TRIES = 100;
const READY_INTERVAL_MS = 50;
const START_ATTEMPTS = 5;
const TERM_GRACE_MS = 5_000;
const KILL_GRACE_MS = 2_000;
// Requests the harness makes itself carry this query parameter so accessLog() can drop them.
const PROBE_PARAM = "mirrorbot-harness";
const BCRYPT_COST = 5;

const running = new Set<ChildProcess>();
// Temp dirs of registries not yet stopped, removed by the emergency hook too.
const liveDirs = new Set<string>();
let exitHookInstalled = false;

function killAllNow(): void {
  for (const child of running) child.kill("SIGKILL");
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
}

function onSigterm(): void {
  killAllNow();
  // Our listener replaced Node's default action (exit); restore it unless someone else handles it.
  process.off("SIGTERM", onSigterm);
  if (process.listenerCount("SIGTERM") === 0) process.kill(process.pid, "SIGTERM");
}

/** Kill leftover registries when the process exits, and when vitest ends a worker with SIGTERM (no "exit" event then). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", killAllNow);
  process.on("SIGTERM", onSigterm);
}

function registryConfig(port: number, dir: string, htpasswd: string | null, token: TokenAuthConfig | undefined): string {
  // JSON is valid YAML, and it spares us quoting rules for temp paths.
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: "info", formatter: "json", accesslog: { disabled: false } },
    storage: {
      filesystem: { rootdirectory: join(dir, "storage") },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { addr: `127.0.0.1:${port}`, secret: "mirrorbot-test-secret" },
    health: { storagedriver: { enabled: false } },
  };
  if (htpasswd) config.auth = { htpasswd: { realm: "mirrorbot-test", path: htpasswd } };
  if (token) config.auth = { token: { realm: token.realm, service: token.service, issuer: token.issuer, rootcertbundle: token.rootCertBundle } };
  return JSON.stringify(config, null, 2);
}

function blobPath(storage: string, digest: string): string | null {
  const m = /^([a-z0-9]+):([a-f0-9]{32,})$/.exec(digest);
  if (!m) return null;
  const [, algorithm = "", hex = ""] = m;
  return join(storage, "docker", "registry", "v2", "blobs", algorithm, hex.slice(0, 2), hex, "data");
}

function lineReader(onLine: (line: string) => void): (chunk: Buffer) => void {
  let rest = "";
  return (chunk) => {
    const parts = (rest + chunk.toString("utf8")).split("\n");
    rest = parts.pop() ?? "";
    for (const p of parts) onLine(p);
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off("exit", onExit);
      resolve(false);
    }, ms);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once("exit", onExit);
  });
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    if (!(await waitForExit(child, TERM_GRACE_MS))) {
      child.kill("SIGKILL");
      await waitForExit(child, KILL_GRACE_MS);
    }
  }
  running.delete(child);
}

interface Attempt {
  child: ChildProcess;
  entries: AccessLogEntry[];
  stderrTail: string[];
  /** Set once the registry logged that it bound its port. */
  listening: boolean;
  exited: Promise<void>;
}

function spawnRegistry(binary: string, configPath: string, storage: string): Attempt {
  const child = spawn(binary, ["serve", configPath], { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  const attempt: Attempt = { child, entries: [], stderrTail: [], listening: false, exited: Promise.resolve() };
  const { entries, stderrTail } = attempt;
  child.stdout?.on(
    "data",
    lineReader((line) => {
      const entry = parseAccessLine(line);
      if (!entry) return;
      const digest = completedUploadDigest(entry);
      if (digest !== null) {
        // The access line is written after the handler returns, so the blob is in place.
        const path = blobPath(storage, digest);
        entry.upload = { digest, size: path ? statSync(path, { throwIfNoEntry: false })?.size ?? 0 : 0 };
      }
      entries.push(entry);
    }),
  );
  child.stderr?.on(
    "data",
    lineReader((line) => {
      if (line.includes('"msg":"listening on ')) attempt.listening = true;
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
    }),
  );
  attempt.exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      running.delete(child);
      resolve();
    });
    child.once("error", (err) => {
      stderrTail.push(String(err));
      running.delete(child);
      resolve();
    });
  });
  return attempt;
}

async function probe(url: string, signal: AbortSignal): Promise<boolean> {
  try {
    const res = await fetch(`${url}/v2/?${PROBE_PARAM}=ready`, { signal });
    await res.arrayBuffer();
    return res.status === 200 || res.status === 401;
  } catch {
    return false;
  }
}

/** Wait until the registry answers `GET /v2/`; false if it exited first (e.g. the port was taken). */
async function waitReady(attempt: Attempt, url: string): Promise<boolean> {
  let exited = false;
  void attempt.exited.then(() => (exited = true));
  for (let i = 0; i < READY_TRIES && !exited; i++) {
    // Until our process says it bound the port, whatever answers there is someone else.
    if (attempt.listening && (await probe(url, AbortSignal.timeout(1_000)))) return !exited;
    await sleep(READY_INTERVAL_MS);
  }
  return false;
}

/** Start a registry on a free port of 127.0.0.1; with `auth`, it requires basic auth for that user. */
export async function startRegistry(opts: RegistryOptions = {}): Promise<RunningRegistry> {
  installExitHook();
  const binary = opts.binary ?? "docker-registry";
  const dir = await mkdtemp(join(tmpdir(), "mirrorbot-registry-"));
  liveDirs.add(dir);
  const storage = join(dir, "storage");
  try {
    let htpasswd: string | null = null;
    if (opts.auth && opts.token) throw new Error("startRegistry: choose basic auth or token auth, not both");
    if (opts.auth) {
      if (opts.auth.username.includes(":")) throw new Error("htpasswd user names cannot contain ':'");
      htpasswd = join(dir, "htpasswd");
      // bcryptjs writes $2b$ hashes; distribution 2.8 (Go x/crypto/bcrypt) accepts $2a$, $2b$ and $2y$.
      const hash = await bcrypt.hash(opts.auth.password, BCRYPT_COST);
      await writeFile(htpasswd, `${opts.auth.username}:${hash}\n`, { mode: 0o600 });
    }
    const configPath = join(dir, "config.yml");
    const failures: string[] = [];
    for (let i = 0; i < START_ATTEMPTS; i++) {
      const port = await freePort();
      await writeFile(configPath, registryConfig(port, dir, htpasswd, opts.token));
      const attempt = spawnRegistry(binary, configPath, storage);
      const url = `http://127.0.0.1:${port}`;
      if (await waitReady(attempt, url)) return registryHandle(attempt, dir, storage, port, opts.auth);
      await killChild(attempt.child);
      failures.push(`port ${port}: ${attempt.stderrTail.slice(-3).join(" | ") || "no output"}`);
    }
    throw new Error(`docker-registry did not start after ${START_ATTEMPTS} attempts: ${failures.join("; ")}`);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
    throw err;
  }
}

function registryHandle(attempt: Attempt, dir: string, storage: string, port: number, auth: RegistryAuth | undefined): RunningRegistry {
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  let marks = 0;
  let stopping: Promise<void> | null = null;
  const visible = () => attempt.entries.filter((e) => e.query[PROBE_PARAM] === undefined);
  const registry: RunningRegistry = {
    host,
    url,
    dir,
    pid: attempt.child.pid ?? -1,
    accessLog: visible,
    async settledAccessLog() {
      // The registry logs a request after answering it; once our own later request shows up,
      // every request answered before this call has been logged too.
      const mark = `mark-${++marks}`;
      const res = await fetch(`${url}/v2/?${PROBE_PARAM}=${mark}`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      for (let i = 0; i < 200; i++) {
        if (attempt.entries.some((e) => e.query[PROBE_PARAM] === mark)) return visible();
        await sleep(5);
      }
      throw new Error(`the access log of ${host} did not show the harness's marker request within 1 s`);
    },
    blobSize(digest) {
      const path = blobPath(storage, digest);
      return path ? statSync(path, { throwIfNoEntry: false })?.size ?? null : null;
    },
    stop() {
      stopping ??= (async () => {
        await killChild(attempt.child);
        await rm(dir, { recursive: true, force: true });
        liveDirs.delete(dir);
      })();
      return stopping;
    },
  };
  if (auth) registry.auth = { ...auth };
  return registry;
}
