/**
 * One measured run of one method: empty skopeo's blob-info cache, start the clock, the /proc
 * sampler and the I/O counter, run the method, then read both registries' access logs for the
 * requests of this run and check that the target holds every tag with the source's digest.
 */
import { mkdir, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { writeAuthFile } from "../src/engine/auth-file.js";
import { countByKind, uploadedBlobBytes, type AccessLogEntry } from "../test/harness/access-log.js";
import type { RunningRegistry } from "../test/harness/registry.js";
import { manifestDigest } from "./distribution.js";
import type { Method, MirrorJob } from "./methods.js";
import { pool } from "./pool.js";
import { ioDelta, sampleTree, selfIo } from "./proc.js";
import { TARGET_NAMESPACE } from "./sets.js";

/** Everything recorded about one run. */
export interface RunRecord {
  run: number;
  ok: boolean;
  error?: string;
  wallMs: number;
  target: {
    uploadedBytes: number;
    uploads: number;
    manifestPuts: number;
    mounts: number;
    blobHeads: number;
    requests: number;
  };
  source: {
    blobBytes: number;
    blobGets: number;
    manifestGets: number;
    manifestHeads: number;
    requests: number;
  };
  disk: { writeBytes: number; cancelledWriteBytes: number };
  rss: { peakBytes: number; samples: number; peakProcesses: number };
  /** Tags missing in the target or with another digest than the source's (the first few named). */
  verify: { checked: number; missing: number; wrong: number; examples: string[] };
}

/** Where skopeo (containers/image) keeps its blob-info cache for this user. */
export function blobInfoCachePath(): string {
  if (process.getuid?.() === 0) return "/var/lib/containers/cache/blob-info-cache-v1.boltdb";
  const data = process.env.XDG_DATA_HOME ?? join(homedir(), ".local", "share");
  return join(data, "containers", "cache", "blob-info-cache-v1.boltdb");
}

/** What one run needs. */
export interface RunInput {
  method: Method;
  run: number;
  job: MirrorJob;
  source: RunningRegistry;
  target: RunningRegistry;
  /** Each entry's expected digest in the target. */
  expected: ReadonlyArray<{ repo: string; tag: string; digest: string }>;
  /** Processes to leave out of the RSS sum (the registries). */
  exclude: ReadonlySet<number>;
  scratch: string;
  timeoutMs: number;
  signal: AbortSignal;
}

async function verify(target: RunningRegistry, expected: RunInput["expected"]): Promise<RunRecord["verify"]> {
  const endpoint = target.auth ? { url: target.url, auth: target.auth } : { url: target.url };
  let missing = 0;
  let wrong = 0;
  const examples: string[] = [];
  const note = (text: string) => {
    if (examples.length < 5) examples.push(text);
  };
  await pool(expected, 8, async (e) => {
    const ref = `${TARGET_NAMESPACE}/${e.repo}:${e.tag}`;
    const digest = await manifestDigest(endpoint, `${TARGET_NAMESPACE}/${e.repo}`, e.tag);
    if (digest === null) {
      missing++;
      note(`${ref} missing`);
    } else if (digest !== e.digest) {
      wrong++;
      note(`${ref} is ${digest}, source ${e.digest}`);
    }
  });
  return { checked: expected.length, missing, wrong, examples };
}

function targetCounts(log: AccessLogEntry[]): RunRecord["target"] {
  const c = countByKind(log);
  return { uploadedBytes: uploadedBlobBytes(log), uploads: c.uploadCompletions, manifestPuts: c.manifestPut, mounts: c.mounts, blobHeads: c.blobHead, requests: c.total };
}

function sourceCounts(log: AccessLogEntry[]): RunRecord["source"] {
  const c = countByKind(log);
  const blobBytes = log.filter((e) => e.method === "GET" && /\/blobs\/[^/]+$/.test(e.path) && !e.path.includes("/uploads/")).reduce((n, e) => n + e.bytesOut, 0);
  return { blobBytes, blobGets: c.blobGet, manifestGets: c.manifestGet, manifestHeads: c.manifestHead, requests: c.total };
}

/** Run `input.method` once and record what it cost. The caller owns both registries. */
export async function measureRun(input: RunInput): Promise<RunRecord> {
  await rm(input.scratch, { recursive: true, force: true });
  await mkdir(input.scratch, { recursive: true });
  // A fresh GitHub runner has no blob-info cache; with one, skopeo would know where blobs are.
  await rm(blobInfoCachePath(), { force: true });
  if (!input.target.auth) throw new Error("the bench's target registry must require auth");
  // The tools reach the target at job.target: the registry itself, or a proxy in front of it.
  const authFile = await writeAuthFile([{ registry: input.job.target, ...input.target.auth }]);
  const ctx = {
    job: input.job,
    targetAuth: input.target.auth,
    authFile: authFile.path,
    scratch: join(input.scratch, "work"),
    timeoutMs: input.timeoutMs,
    signal: input.signal,
  };
  try {
    await mkdir(ctx.scratch, { recursive: true });
    await input.method.prepare?.(ctx);
    const srcStart = (await input.source.settledAccessLog()).length;
    const tgtStart = (await input.target.settledAccessLog()).length;

    const io0 = selfIo();
    const sampler = sampleTree(input.exclude);
    const t0 = performance.now();
    let error: string | undefined;
    try {
      await input.method.run(ctx);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const wallMs = performance.now() - t0;
    const rss = await sampler.stop();
    const disk = ioDelta(io0, selfIo());

    const srcLog = (await input.source.settledAccessLog()).slice(srcStart);
    const tgtLog = (await input.target.settledAccessLog()).slice(tgtStart);
    const checked = await verify(input.target, input.expected);
    const record: RunRecord = {
      run: input.run,
      ok: error === undefined && checked.missing === 0 && checked.wrong === 0,
      wallMs,
      target: targetCounts(tgtLog),
      source: sourceCounts(srcLog),
      disk: { writeBytes: disk.writeBytes, cancelledWriteBytes: disk.cancelledWriteBytes },
      rss: { peakBytes: rss.peakRssBytes, samples: rss.samples, peakProcesses: rss.peakProcesses },
      verify: checked,
    };
    if (error !== undefined) record.error = error;
    return record;
  } finally {
    await authFile.dispose();
    await rm(input.scratch, { recursive: true, force: true });
  }
}
