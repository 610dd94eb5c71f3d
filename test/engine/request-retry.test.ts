/**
 * Per-request retries of the registry client against a small scripted HTTP server: which
 * answers are retried (by status and registry error code, never by text), Retry-After, the
 * per-host backoff, a Docker Hub pull quota, and the stall clock.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { HostBackoff, retryAfterMs } from "../../src/engine/host-backoff.js";
import { isQuotaAnswer, RegistryClient, RegistryError } from "../../src/engine/registry-client.js";

type Step = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server | undefined;
let seen: string[] = [];

/** A server answering the n-th request with steps[n] (the last step repeats); the ping /v2/ answers 200. */
async function scripted(steps: Step[]): Promise<string> {
  let n = 0;
  seen = [];
  server = createServer((req, res) => {
    if (req.url === "/v2/") return void res.end("{}");
    seen.push(`${req.method} ${req.url}`);
    const step = steps[Math.min(n++, steps.length - 1)]!;
    step(req, res);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The RegistryError a call rejects with. */
async function failure(p: Promise<unknown>): Promise<RegistryError> {
  const outcome = await p.then(() => null, (e: unknown) => e);
  if (!(outcome instanceof RegistryError)) throw new Error(`expected a RegistryError, got ${String(outcome)}`);
  return outcome;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

const error = (status: number, code: string, headers: Record<string, string> = {}): Step => (_req, res) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ errors: [{ code, message: `tag 37.404.0: ${code}` }] }));
};
const found: Step = (_req, res) => {
  res.writeHead(200, { "docker-content-digest": `sha256:${"a".repeat(64)}`, "content-length": "10", "content-type": "application/vnd.oci.image.manifest.v1+json" });
  res.end();
};

function client(host: string, retries = 3, stallMs?: number): { client: RegistryClient; retried: Array<[number | null, string | null, number]> } {
  const c = new RegistryClient({ registry: host, tlsVerify: false });
  const retried: Array<[number | null, string | null, number]> = [];
  c.setRetryPolicy({ retries, baseMs: 1, maxMs: 2_000, ...(stallMs ? { stallMs } : {}), onRetry: (e, attempt) => retried.push([e.status, e.code, attempt]) });
  return { client: c, retried };
}

describe("per-request retries", () => {
  it("retries 503, 502, 504, 500, 408 and 429 by status, whatever the message says, then succeeds", async () => {
    const host = await scripted([error(503, "UNAVAILABLE"), error(502, "UNKNOWN"), error(504, "UNKNOWN"), error(500, "UNKNOWN"), error(408, "UNKNOWN"), error(429, "TOOMANYREQUESTS"), found]);
    const { client: c, retried } = client(host, 6);
    expect(await c.headManifest("app", "37.404.0")).toMatchObject({ digest: `sha256:${"a".repeat(64)}` });
    expect(retried.map(([status]) => status)).toEqual([503, 502, 504, 500, 408, 429]);
    expect(c.stats.retries).toBe(6);
  });

  it("does not retry a 401, 403 or 404 with a message naming a 5xx", async () => {
    for (const status of [401, 403, 400]) {
      const host = await scripted([error(status, status === 400 ? "MANIFEST_INVALID" : "DENIED"), found]);
      const { client: c, retried } = client(host);
      const err = await failure(c.getManifest("app", "503"));
      expect(err).toBeInstanceOf(RegistryError);
      expect([err.status, err.transient, retried]).toEqual([status, false, []]);
      server?.closeAllConnections();
      await new Promise((resolve) => server!.close(resolve));
    }
    server = undefined;
  });

  it("gives up after the budget, with the last error", async () => {
    const host = await scripted([error(503, "UNAVAILABLE")]);
    const { client: c, retried } = client(host, 2);
    const err = await failure(c.headBlob("app", `sha256:${"b".repeat(64)}`));
    expect([err.status, err.transient, retried.length, seen.length]).toEqual([503, true, 2, 3]);
  });

  it("honours Retry-After, and refuses to wait longer than its limit", async () => {
    expect(retryAfterMs("2")).toBe(2000);
    expect(retryAfterMs(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(50_000);
    expect(retryAfterMs(null)).toBeNull();
    const host = await scripted([error(503, "UNAVAILABLE", { "retry-after": "3600" }), found]);
    const { client: c } = client(host);
    const err = await failure(c.headManifest("app", "1"));
    expect([err.status, err.transient, err.retryAfterMs]).toEqual([503, false, 3_600_000]);
    expect(err.message).toContain("(the registry asked to wait 3600 s)");
  });

  it("stops asking a registry whose pull quota ran out (Docker Hub's ratelimit headers), and says so", async () => {
    const quota = error(429, "TOOMANYREQUESTS", { "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "0;w=21600" });
    const host = await scripted([quota, found]);
    const { client: c, retried } = client(host);
    const first = await failure(c.getManifest("library/nginx", "1"));
    expect([first.status, first.quota, first.transient, retried]).toEqual([429, true, false, []]);
    expect(first.message).toBe(`pull quota of ${host} exhausted (ratelimit-remaining: 0;w=21600); no more requests are sent to it in this run: set credentials for it, or wait for the quota window`);
    const second = await failure(c.headManifest("library/redis", "7"));
    expect(second).toBe(first);
    expect(seen).toHaveLength(1);
    expect(c.quotaExhausted).toBe(first);
  });

  it("tells a quota 429 from a throttling one by headers only", () => {
    const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n] ?? null });
    expect(isQuotaAnswer(429, headers({ "ratelimit-remaining": "0;w=21600" }))).toBe(true);
    expect(isQuotaAnswer(429, headers({ "ratelimit-remaining": "12;w=21600" }))).toBe(false);
    expect(isQuotaAnswer(429, headers({ "ratelimit-limit": "100;w=21600" }))).toBe(true);
    expect(isQuotaAnswer(429, headers({ "ratelimit-limit": "100;w=21600", "retry-after": "5" }))).toBe(false);
    expect(isQuotaAnswer(429, headers({}))).toBe(false);
    expect(isQuotaAnswer(503, headers({ "ratelimit-remaining": "0" }))).toBe(false);
  });

  it("cuts a request whose answer stalls, as a transient STALLED error", async () => {
    const host = await scripted([() => undefined, found]);
    const { client: c, retried } = client(host, 1, 300);
    expect(await c.headManifest("app", "1")).toMatchObject({ digest: `sha256:${"a".repeat(64)}` });
    expect(retried).toEqual([[null, "STALLED", 1]]);
  });
});

describe("HostBackoff", () => {
  it("doubles with each failure in a row, takes a longer Retry-After, and clears on success", () => {
    const b = new HostBackoff({ baseMs: 100, maxMs: 1_000, random: () => 1 });
    expect([b.failed(null), b.failed(null), b.failed(null), b.failed(null), b.failed(null)]).toEqual([100, 200, 400, 800, 1000]);
    expect(b.failed(5_000)).toBe(5_000);
    b.succeeded();
    expect(b.failed(null)).toBe(100);
  });

  it("makes every request to the host wait out one failure's backoff", async () => {
    const slept: number[] = [];
    const b = new HostBackoff({ baseMs: 50, maxMs: 50, random: () => 1, sleep: (ms) => (slept.push(ms), new Promise((r) => setTimeout(r, ms))) });
    await b.ready();
    expect(slept).toEqual([]);
    b.failed(null);
    await Promise.all([b.ready(), b.ready()]);
    expect(slept).toHaveLength(2);
    await b.ready();
    expect(slept).toHaveLength(2);
  });
});
