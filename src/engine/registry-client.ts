/**
 * A small client for the distribution (OCI) HTTP API: what the planner and scheduler need to
 * decide without skopeo whether a copy is due, and to premount blobs.
 *
 * It runs on a small keep-alive HTTP transport (./http.ts), so a few hundred HEADs cost about
 * a millisecond each on a near registry, and a third of a millisecond of our CPU.
 */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { z } from "zod";
import { HostBackoff, retryAfterMs } from "./host-backoff.js";
import { HttpBodyTooLargeError, httpRequest, type HttpResponse } from "./http.js";
import { ProxyError } from "./proxy.js";
import { proxyOf } from "./proxy-tunnel.js";
import { oneLine, redact } from "./redact.js";

/** Username and password (or token) for a registry. */
export interface Credentials {
  username: string;
  password: string;
}

/** Options for a RegistryClient. */
export interface RegistryClientOptions {
  /** "host[:port]"; "docker.io" means Docker Hub. */
  registry: string;
  /** false talks plain http:// (test and private registries). Default true. */
  tlsVerify?: boolean;
  credentials?: Credentials | null;
  userAgent?: string;
  /** Per request, token fetches included. Default 30 s. */
  timeoutMs?: number;
}

/**
 * How requests retry on their own: each request that fails transiently (a 5xx, 408, 429, a
 * reset, a stall) is sent again after the host's shared backoff, up to `retries` times.
 */
export interface RequestRetryPolicy {
  retries: number;
  /** First backoff delay; doubles with each failure in a row at this host. */
  baseMs: number;
  /** Upper bound of one delay; a `Retry-After` longer than this fails the request instead. */
  maxMs: number;
  /** No byte moved for this long: the request is cut and counts as a transient failure. */
  stallMs?: number;
  onRetry?: (error: RegistryError, attempt: number, delayMs: number) => void;
}

/** What a manifest HEAD tells. */
export interface ManifestDescriptor {
  digest: string;
  mediaType: string;
  size: number;
}

/** A fetched manifest or index. */
export interface ManifestDocument {
  digest: string;
  mediaType: string;
  body: Buffer;
  json: unknown;
}

/** Requests this client sent, by kind. */
export interface RegistryStats {
  requests: number;
  ping: number;
  token: number;
  manifestHead: number;
  manifestGet: number;
  blobHead: number;
  tagList: number;
  mount: number;
  uploadCancel: number;
  blobGet: number;
  uploadStart: number;
  uploadPut: number;
  manifestPut: number;
  /** Requests sent again after a 401 challenge. */
  authRetries: number;
  /** Requests sent again after a transient failure. */
  retries: number;
}

/**
 * Every manifest type we copy. distribution answers 404 to a HEAD for an OCI manifest or
 * index unless Accept lists the OCI types, which would make every OCI image look missing.
 */
export const MANIFEST_ACCEPT: readonly string[] = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.v1+prettyjws",
];

const TRANSIENT_CODES = new Set([
  "ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "ECONNABORTED",
  "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "TIMEOUT", "STALLED",
  "ERR_STREAM_PREMATURE_CLOSE", "HPE_INVALID_CONSTANT", "ERR_HTTP2_GOAWAY_SESSION",
]);
const STATUS_CODES: Record<number, string> = { 401: "UNAUTHORIZED", 403: "DENIED", 404: "NOT_FOUND", 429: "TOOMANYREQUESTS" };
const TOKEN_MARGIN_MS = 10_000;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const DEFAULT_TOKEN_TTL_S = 60;

/** A failed registry request. `transient` says whether trying again later may help. */
export class RegistryError extends Error {
  override readonly name = "RegistryError";
  constructor(
    message: string,
    readonly registry: string,
    /** HTTP status, or null when no response came (network error, timeout). */
    readonly status: number | null,
    /** The distribution error code (e.g. MANIFEST_UNKNOWN), a status name, or a network error code. */
    readonly code: string | null,
    readonly transient: boolean,
    /** What the registry's `Retry-After` asked for, in ms. */
    readonly retryAfterMs: number | null = null,
    /** A pull quota ran out (Docker Hub's 429 with `ratelimit-remaining: 0`): no retry helps for hours. */
    readonly quota = false,
  ) {
    super(message);
  }
}

/**
 * Whether an answer says a pull quota ran out, from structured headers only: Docker Hub sends
 * `ratelimit-limit` and `ratelimit-remaining: N;w=<seconds>` with its quota 429.
 */
export function isQuotaAnswer(status: number, headers: { get(name: string): string | null }): boolean {
  if (status !== 429) return false;
  const remaining = headers.get("ratelimit-remaining");
  if (remaining !== null) return Number.parseInt(remaining, 10) === 0;
  // A quota 429 without a remaining count but with a limit and no Retry-After gives no time to wait for.
  return headers.get("ratelimit-limit") !== null && headers.get("retry-after") === null;
}

/** True for a Node or transport error code a retry may cure (resets, timeouts, stalls). */
export function isTransientNetworkCode(code: string | null | undefined): boolean {
  return code !== null && code !== undefined && TRANSIENT_CODES.has(code);
}

/** HTTP statuses a request is sent again for: the server or something between may do better next time. */
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

const errorBodySchema = z.object({
  errors: z
    .array(
      z.object({
        code: z.string().describe("distribution error code, e.g. MANIFEST_UNKNOWN"),
        message: z.string().optional().describe("human readable reason"),
      }),
    )
    .describe("errors the registry reports"),
});

const tokenSchema = z.object({
  token: z.string().optional().describe("bearer token (Docker token spec)"),
  access_token: z.string().optional().describe("bearer token (OAuth2 spelling)"),
  expires_in: z.number().optional().describe("token lifetime in seconds; 60 when absent"),
});

const tagListSchema = z.object({
  tags: z.array(z.string()).nullable().optional().describe("tags of the repository; null or absent when it has none"),
});

type Challenge =
  | { scheme: "none" }
  | { scheme: "basic" }
  | { scheme: "bearer"; realm: string; service: string | null; scope: string | null };

/**
 * Parse a WWW-Authenticate header.
 * @example parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io"')
 */
export function parseChallenge(header: string | null): Challenge | null {
  if (!header) return null;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return null;
  const scheme = (m[1] ?? "").toLowerCase();
  const params: Record<string, string> = {};
  for (const p of (m[2] ?? "").matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
    params[(p[1] ?? "").toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : (p[3] ?? "");
  }
  if (scheme === "basic") return { scheme: "basic" };
  if (scheme === "bearer" && params.realm) {
    return { scheme: "bearer", realm: params.realm, service: params.service ?? null, scope: params.scope ?? null };
  }
  return null;
}

/**
 * The host that serves the API for a registry name.
 * @example apiHost("docker.io") // "registry-1.docker.io"
 */
export function apiHost(registry: string): string {
  const host = registry.trim().toLowerCase();
  return host === "docker.io" || host === "index.docker.io" ? "registry-1.docker.io" : registry.trim();
}

function newStats(): RegistryStats {
  return {
    requests: 0, ping: 0, token: 0, manifestHead: 0, manifestGet: 0, blobHead: 0, tagList: 0, mount: 0, uploadCancel: 0,
    blobGet: 0, uploadStart: 0, uploadPut: 0, manifestPut: 0, authRetries: 0, retries: 0,
  };
}

function mediaTypeOf(res: HttpResponse): string {
  return (res.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
}

interface Call {
  kind: Exclude<keyof RegistryStats, "requests" | "authRetries" | "retries">;
  method: string;
  /** Path on this registry, or an absolute URL (an upload Location). */
  path: string;
  /** Token scopes the request needs on a bearer registry. */
  scopes: string[];
  accept?: string;
  /** Statuses that are answers, not errors. */
  ok: number[];
  headers?: Record<string, string>;
  /** Bytes can be sent again (after a 401 or a failure); a stream cannot, so such a call is tried once. */
  body?: Buffer | Readable;
  /** Whole-request deadline instead of the client's `timeoutMs` (blob transfers). */
  timeoutMs?: number;
}

/** What a registry that does not take `mount`/`from` on a POST answers: a request it cannot serve, not a refusal of the upload. */
const MOUNT_QUERY_REFUSALS = new Set([400, 405, 501]);

/** A distribution API client for one registry, with basic and bearer auth and keep-alive. */
export class RegistryClient {
  readonly registry: string;
  readonly baseUrl: string;
  readonly stats: RegistryStats = newStats();
  /** The quickest answer seen, in ms: the round trip without queueing (loopback ~1, a far registry 100+). */
  fastestResponseMs = Number.POSITIVE_INFINITY;
  private readonly credentials: Credentials | null;
  /** The basic-auth value of `credentials`, sent as is and scrubbed from error text. */
  private readonly basic: string | null;
  private readonly userAgent: string;
  private readonly timeoutMs: number;
  private challenge: Promise<Challenge> | null = null;
  private retry: RequestRetryPolicy = { retries: 0, baseMs: 250, maxMs: 30_000 };
  private backoff = new HostBackoff({ baseMs: 250, maxMs: 30_000 });
  /** Set once a pull quota ran out: every later request fails at once with it. */
  private quota: RegistryError | null = null;
  private readonly tokens = new Map<string, { token: string; expires: number }>();
  private readonly pendingTokens = new Map<string, Promise<string>>();
  /** Set once the registry refused the mount-into-itself question (400, 405, 501) and a plain POST then worked. */
  private selfMountRefused = false;

  constructor(opts: RegistryClientOptions) {
    this.registry = opts.registry;
    this.baseUrl = `${opts.tlsVerify === false ? "http" : "https"}://${apiHost(opts.registry)}`;
    this.credentials = opts.credentials ?? null;
    this.basic = this.credentials ? Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString("base64") : null;
    this.userAgent = opts.userAgent ?? "mirrorbot";
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Make every request retry transient failures on its own, with backoff shared by all requests to this host. */
  setRetryPolicy(policy: RequestRetryPolicy): void {
    this.retry = policy;
    this.backoff = new HostBackoff({ baseMs: policy.baseMs, maxMs: policy.maxMs });
  }

  /** The quota error when this registry's pull quota ran out during the run, else null. */
  get quotaExhausted(): RegistryError | null {
    return this.quota;
  }

  /** The stall clock requests run under, in ms. */
  get stallMs(): number | undefined {
    return this.retry.stallMs;
  }

  /**
   * GET a blob, from byte `offset` on (a `Range` request, answered 206 with `Content-Range`),
   * following a redirect to blob storage without our credentials. The caller reads the stream.
   */
  async getBlob(repo: string, digest: string, offset: number, timeoutMs: number): Promise<HttpResponse> {
    return this.call({
      kind: "blobGet", method: "GET", path: `/v2/${repo}/blobs/${digest}`,
      scopes: [`repository:${repo}:pull`], ok: [200, 206], timeoutMs,
      ...(offset > 0 ? { headers: { range: `bytes=${offset}-` } } : {}),
    });
  }

  /** Open an upload session; resolves to its absolute `Location`. */
  async startUpload(repo: string): Promise<string> {
    const res = await this.call({ kind: "uploadStart", method: "POST", path: `/v2/${repo}/blobs/uploads/`, scopes: [`repository:${repo}:pull,push`], ok: [202] });
    return this.uploadLocation(res, repo);
  }

  /**
   * Open an upload session for `digest` that first asks `repo` itself for the blob: a mount
   * from `repo` into `repo`. "present" when the repository holds it already (distribution
   * answers 201: a killed run left it there untagged), else the session to upload it with
   * (202). One request where a HEAD and then a POST would be two. A registry that refuses
   * the question as such (400, 405 or 501) while a plain POST works is asked plainly from
   * then on; any other error is the upload's own and is thrown.
   * @example await client.openUploadFor("mirror/nginx", "sha256:…") // "present" or "http://…/uploads/<uuid>?_state=…"
   */
  async openUploadFor(repo: string, digest: string): Promise<"present" | string> {
    if (this.selfMountRefused) return this.startUpload(repo);
    const query = new URLSearchParams({ mount: digest, from: repo });
    let res: HttpResponse;
    try {
      res = await this.call({ kind: "uploadStart", method: "POST", path: `/v2/${repo}/blobs/uploads/?${query}`, scopes: [`repository:${repo}:pull,push`], ok: [201, 202] });
    } catch (error) {
      if (!(error instanceof RegistryError) || error.status === null || !MOUNT_QUERY_REFUSALS.has(error.status)) throw error;
      const location = await this.startUpload(repo);
      this.selfMountRefused = true;
      return location;
    }
    if (res.status === 201) {
      res.discard();
      return "present";
    }
    return this.uploadLocation(res, repo);
  }

  private uploadLocation(res: HttpResponse, repo: string): string {
    res.discard();
    const location = res.headers.get("location");
    if (!location) throw new RegistryError(`${this.registry} opened an upload for ${repo} without a Location`, this.registry, res.status, "BLOB_UPLOAD_INVALID", true);
    return new URL(location, this.baseUrl).toString();
  }

  /**
   * Finish an upload session with the whole blob in one streamed PUT carrying its digest: the
   * registry checks the digest and refuses the blob when the bytes do not match.
   */
  async putUpload(repo: string, location: string, digest: string, size: number, body: Readable, timeoutMs: number): Promise<void> {
    const url = new URL(location);
    url.searchParams.set("digest", digest);
    const res = await this.call({
      kind: "uploadPut", method: "PUT", path: url.toString(), scopes: [`repository:${repo}:pull,push`], ok: [201, 204], timeoutMs,
      headers: { "content-type": "application/octet-stream", "content-length": String(size) }, body,
    });
    res.discard();
  }

  /** PUT manifest bytes exactly as read under a tag or digest; resolves to the digest the registry stored. */
  async putManifest(repo: string, reference: string, body: Buffer, mediaType: string): Promise<string> {
    const res = await this.call({
      kind: "manifestPut", method: "PUT", path: `/v2/${repo}/manifests/${reference}`, scopes: [`repository:${repo}:pull,push`], ok: [201],
      headers: { "content-type": mediaType }, body,
    });
    res.discard();
    return res.headers.get("docker-content-digest") ?? `sha256:${createHash("sha256").update(body).digest("hex")}`;
  }

  /** HEAD a manifest by tag or digest; null when the registry has no such manifest. */
  async headManifest(repo: string, reference: string): Promise<ManifestDescriptor | null> {
    const res = await this.call({
      kind: "manifestHead", method: "HEAD", path: `/v2/${repo}/manifests/${reference}`,
      scopes: [`repository:${repo}:pull`], accept: MANIFEST_ACCEPT.join(", "), ok: [200, 404],
    });
    res.discard();
    if (res.status === 404) return null;
    const digest = res.headers.get("docker-content-digest");
    const size = Number(res.headers.get("content-length") ?? NaN);
    if (!digest || !Number.isSafeInteger(size)) {
      // Some registries omit the digest on HEAD; the body is the only source of truth then.
      const doc = await this.getManifest(repo, reference);
      return { digest: doc.digest, mediaType: doc.mediaType, size: doc.body.length };
    }
    return { digest, mediaType: mediaTypeOf(res), size };
  }

  /** GET a manifest or index by tag or digest; throws a RegistryError (status 404) when missing. */
  async getManifest(repo: string, reference: string): Promise<ManifestDocument> {
    const res = await this.call({
      kind: "manifestGet", method: "GET", path: `/v2/${repo}/manifests/${reference}`,
      scopes: [`repository:${repo}:pull`], accept: MANIFEST_ACCEPT.join(", "), ok: [200],
    });
    // Manifests are small (distribution itself refuses over 4 MiB); a registry named in a
    // request must not make us buffer an arbitrary body.
    const announced = Number(res.headers.get("content-length") ?? 0);
    if (announced > MAX_MANIFEST_BYTES) {
      res.cancel();
      throw new RegistryError(`${this.registry} sent a ${announced}-byte manifest for ${repo}:${reference}; the limit is ${MAX_MANIFEST_BYTES}`, this.registry, res.status, "MANIFEST_TOO_LARGE", false);
    }
    const body = await res.bytes(MAX_MANIFEST_BYTES).catch((err: unknown) => {
      if (err instanceof HttpBodyTooLargeError) {
        throw new RegistryError(`${this.registry} sent a manifest over ${MAX_MANIFEST_BYTES} bytes for ${repo}:${reference}; the limit is ${MAX_MANIFEST_BYTES}`, this.registry, res.status, "MANIFEST_TOO_LARGE", false);
      }
      throw this.networkError(err);
    });
    const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
    if (reference.startsWith("sha256:") && reference !== digest) {
      throw new RegistryError(`${this.registry} served ${repo}@${reference} with content of digest ${digest}`, this.registry, res.status, "DIGEST_INVALID", false);
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      throw new RegistryError(`${this.registry} served a manifest for ${repo}:${reference} that is not JSON`, this.registry, res.status, "MANIFEST_INVALID", false);
    }
    const declared = json !== null && typeof json === "object" && "mediaType" in json && typeof json.mediaType === "string" ? json.mediaType : "";
    return { digest, mediaType: mediaTypeOf(res) || declared, body, json };
  }

  /** Whether the repository has the blob. */
  async headBlob(repo: string, digest: string): Promise<boolean> {
    const res = await this.call({
      kind: "blobHead", method: "HEAD", path: `/v2/${repo}/blobs/${digest}`,
      scopes: [`repository:${repo}:pull`], ok: [200, 404],
    });
    res.discard();
    return res.status === 200;
  }

  /**
   * Whether the repository has at least one tag (one short listing, `?n=1`); false for a
   * repository the registry does not know.
   */
  async hasTags(repo: string): Promise<boolean> {
    const res = await this.call({
      kind: "tagList", method: "GET", path: `/v2/${repo}/tags/list?n=1`,
      scopes: [`repository:${repo}:pull`], ok: [200, 404],
    });
    if (res.status === 404) {
      res.discard();
      return false;
    }
    const listing = tagListSchema.safeParse(await res.text().then((t) => JSON.parse(t) as unknown).catch(() => null));
    // A listing we cannot read says nothing: assume tags, so the caller keeps checking blobs.
    return listing.success ? (listing.data.tags ?? []).length > 0 : true;
  }

  /**
   * One page of a repository's tag list. `page` is the path and query to GET, e.g.
   * `/v2/<repo>/tags/list?n=1000`, then the path of the previous page's `Link: <...>; rel="next"`
   * (returned raw in `link`). `tags` is null when the registry does not know the repository.
   */
  async tagListPage(repo: string, page: string): Promise<{ tags: string[] | null; link: string | null }> {
    const res = await this.call({ kind: "tagList", method: "GET", path: page, scopes: [`repository:${repo}:pull`], ok: [200, 404] });
    if (res.status === 404) {
      res.discard();
      return { tags: null, link: null };
    }
    const listing = tagListSchema.safeParse(await res.text().then((t) => JSON.parse(t) as unknown).catch(() => null));
    if (!listing.success) throw new RegistryError(`${this.registry} sent a tag list for ${repo} that is not {"tags": [...]}`, this.registry, res.status, "TAG_LIST_INVALID", false);
    return { tags: listing.data.tags ?? [], link: res.headers.get("link") };
  }

  /**
   * Mount a blob into `repo` from `fromRepo` on the same registry; false when the registry
   * could not (it opened an upload instead, which is cancelled).
   */
  async mountBlob(repo: string, digest: string, fromRepo: string): Promise<boolean> {
    const query = new URLSearchParams({ mount: digest, from: fromRepo });
    const scopes = [`repository:${repo}:pull,push`, `repository:${fromRepo}:pull`];
    const res = await this.call({
      kind: "mount", method: "POST", path: `/v2/${repo}/blobs/uploads/?${query}`, scopes, ok: [201, 202],
    });
    res.discard();
    if (res.status === 201) return true;
    const location = res.headers.get("location");
    if (location) await this.cancelUpload(repo, new URL(location, this.baseUrl).toString());
    return false;
  }

  /**
   * Check the login without writing anything: `GET /v2/`, with a token for push access to
   * `repo` where the registry hands out tokens. Throws a RegistryError (401 for a refused login).
   */
  async checkLogin(repo: string): Promise<void> {
    const res = await this.call({ kind: "ping", method: "GET", path: "/v2/", scopes: [`repository:${repo}:pull,push`], ok: [200] });
    res.discard();
  }

  /** Cancel an upload session we will not finish, so the registry can drop its data; failures are ignored. */
  async cancelUpload(repo: string, location: string): Promise<void> {
    const url = new URL(location);
    // Only follow a Location on this registry: the request carries our credentials.
    if (url.origin !== this.baseUrl) return;
    await this.call({ kind: "uploadCancel", method: "DELETE", path: `${url.pathname}${url.search}`, scopes: [`repository:${repo}:pull,push`], ok: [204, 404] })
      .then((r) => r.discard())
      .catch(() => undefined);
  }

  /**
   * Send a call, retrying transient failures (replayable bodies only) after the host's shared
   * backoff. The caller reads or discards the body.
   */
  private async call(c: Call): Promise<HttpResponse> {
    const replayable = c.body === undefined || Buffer.isBuffer(c.body);
    for (let attempt = 0; ; attempt++) {
      if (this.quota) throw this.quota;
      await this.backoff.ready();
      try {
        const res = await this.callOnce(c);
        this.backoff.succeeded();
        return res;
      } catch (err) {
        if (!(err instanceof RegistryError)) throw err;
        if (err.quota) {
          // Retrying a spent quota only spends the next one: stop asking this registry.
          this.quota = err;
          throw err;
        }
        if (!err.transient) throw err;
        const delay = this.backoff.failed(err.retryAfterMs);
        if (!replayable || attempt >= this.retry.retries) throw err;
        if (err.retryAfterMs !== null && err.retryAfterMs > this.retry.maxMs) {
          throw new RegistryError(`${err.message} (the registry asked to wait ${Math.round(err.retryAfterMs / 1000)} s)`, this.registry, err.status, err.code, false, err.retryAfterMs);
        }
        this.stats.retries++;
        this.retry.onRetry?.(err, attempt + 1, delay);
      }
    }
  }

  /** Send a call once, answering one auth challenge. */
  private async callOnce(c: Call): Promise<HttpResponse> {
    const challenge = await this.learnChallenge();
    let auth = await this.authorization(challenge, c.scopes, false);
    let res = await this.send(c, auth);
    if (res.status === 401 && c.body !== undefined && !Buffer.isBuffer(c.body)) {
      // A streamed body is gone; with a bearer token that just expired the next attempt works.
      res.discard();
      if (challenge.scheme === "bearer") {
        this.tokens.delete([...c.scopes].sort().join(" "));
        throw new RegistryError(`authentication failed for ${this.registry}: 401 UNAUTHORIZED (token expired during an upload)`, this.registry, 401, "UNAUTHORIZED", true);
      }
    }
    if (res.status === 401 && (c.body === undefined || Buffer.isBuffer(c.body))) {
      res.discard();
      const fresh = parseChallenge(res.headers.get("www-authenticate"));
      // At most one retry: after learning the scheme, or with a fresh token. A password that
      // was sent and rejected stays rejected.
      if (fresh && (auth === null || fresh.scheme === "bearer" || fresh.scheme !== challenge.scheme)) {
        this.challenge = Promise.resolve(fresh);
        const next = await this.authorization(fresh, c.scopes, true);
        if (next !== null) {
          this.stats.authRetries++;
          auth = next;
          res = await this.send(c, auth);
        }
      }
    }
    if (c.ok.includes(res.status)) return res;
    throw await this.errorFrom(res, `${c.method} ${c.path.split("?")[0]}`);
  }

  private async send(c: Call, authorization: string | null): Promise<HttpResponse> {
    const headers: Record<string, string> = { "user-agent": this.userAgent, ...c.headers };
    if (c.accept) headers.accept = c.accept;
    const url = /^https?:\/\//.test(c.path) ? c.path : `${this.baseUrl}${c.path}`;
    // Credentials only for this registry: an upload Location on another host gets none.
    if (authorization && new URL(url).origin === new URL(this.baseUrl).origin) headers.authorization = authorization;
    return this.fetch(c.kind, url, { method: c.method, headers, ...(c.body !== undefined ? { body: c.body } : {}), ...(c.timeoutMs !== undefined ? { timeoutMs: c.timeoutMs } : {}) });
  }

  private async fetch(
    kind: Call["kind"],
    url: string,
    init: { method: string; headers: Record<string, string>; body?: Buffer | Readable; timeoutMs?: number },
  ): Promise<HttpResponse> {
    this.stats.requests++;
    this.stats[kind]++;
    try {
      const started = performance.now();
      const { timeoutMs = this.timeoutMs, ...rest } = init;
      const res = await httpRequest(url, {
        ...rest, timeoutMs, followRedirects: init.method === "GET" || init.method === "HEAD",
        ...(this.retry.stallMs !== undefined ? { stallMs: this.retry.stallMs } : {}),
      });
      this.fastestResponseMs = Math.min(this.fastestResponseMs, performance.now() - started);
      return res;
    } catch (err) {
      throw this.networkError(err);
    }
  }

  private learnChallenge(): Promise<Challenge> {
    this.challenge ??= (async () => {
      const res = await this.fetch("ping", `${this.baseUrl}/v2/`, { method: "GET", headers: { "user-agent": this.userAgent } });
      res.discard();
      if (res.status !== 401) return { scheme: "none" } as const;
      return parseChallenge(res.headers.get("www-authenticate")) ?? ({ scheme: "none" } as const);
    })();
    // A failed ping must not stick: the next call tries again.
    this.challenge.catch(() => (this.challenge = null));
    return this.challenge;
  }

  private async authorization(challenge: Challenge, scopes: string[], refresh: boolean): Promise<string | null> {
    if (challenge.scheme === "none") return null;
    if (challenge.scheme === "basic") {
      if (!this.credentials) return null;
      return `Basic ${this.basic}`;
    }
    return `Bearer ${await this.token(challenge, scopes, refresh)}`;
  }

  private async token(challenge: Extract<Challenge, { scheme: "bearer" }>, scopes: string[], refresh: boolean): Promise<string> {
    const key = [...scopes].sort().join(" ");
    const cached = this.tokens.get(key);
    if (!refresh && cached && cached.expires > Date.now()) return cached.token;
    let pending = this.pendingTokens.get(key);
    if (!pending) {
      pending = this.fetchToken(challenge, scopes).then(
        (t) => {
          this.pendingTokens.delete(key);
          this.tokens.set(key, t);
          return t.token;
        },
        (err: unknown) => {
          this.pendingTokens.delete(key);
          throw err;
        },
      );
      this.pendingTokens.set(key, pending);
    }
    return pending;
  }

  private async fetchToken(challenge: Extract<Challenge, { scheme: "bearer" }>, scopes: string[]): Promise<{ token: string; expires: number }> {
    const url = new URL(challenge.realm);
    // Credentials go to the token service; never let a registry on https send them over http.
    if (this.credentials && this.baseUrl.startsWith("https:") && url.protocol !== "https:") {
      throw new RegistryError(`${this.registry} asked for credentials at a non-https token service (${url.origin}); refused`, this.registry, null, "INSECURE_REALM", false);
    }
    if (challenge.service) url.searchParams.set("service", challenge.service);
    for (const s of scopes) url.searchParams.append("scope", s);
    const headers: Record<string, string> = { "user-agent": this.userAgent };
    if (this.credentials) {
      headers.authorization = `Basic ${this.basic}`;
    }
    const res = await this.fetch("token", url.toString(), { method: "GET", headers });
    if (res.status !== 200) throw await this.errorFrom(res, "token request");
    const parsed = tokenSchema.safeParse(await res.text().then((t) => JSON.parse(t) as unknown).catch(() => null));
    const token = parsed.success ? (parsed.data.token ?? parsed.data.access_token) : undefined;
    if (!token) throw new RegistryError(`the token service of ${this.registry} sent no token`, this.registry, res.status, "TOKEN_INVALID", false);
    const ttl = (parsed.success ? parsed.data.expires_in : undefined) ?? DEFAULT_TOKEN_TTL_S;
    return { token, expires: Date.now() + Math.max(0, ttl * 1000 - TOKEN_MARGIN_MS) };
  }

  private async errorFrom(res: HttpResponse, what: string): Promise<RegistryError> {
    const text = await res.text().catch(() => "");
    let parsed: z.infer<typeof errorBodySchema> | null = null;
    try {
      const r = errorBodySchema.safeParse(JSON.parse(text));
      parsed = r.success ? r.data : null;
    } catch {
      parsed = null;
    }
    const first = parsed?.errors[0];
    const code = first?.code ?? STATUS_CODES[res.status] ?? null;
    // By status and the registry's own code, never by its text.
    const transient = RETRY_STATUSES.has(res.status) || code === "TOOMANYREQUESTS";
    const quota = isQuotaAnswer(res.status, res.headers);
    // One line, always: a registry's text on a line of its own could start with "::" and be
    // run as a workflow command by GitHub Actions.
    const detail = oneLine(this.redact(first?.message ? `${code}: ${first.message}` : (code ?? res.statusText)));
    const message = quota
      ? `pull quota of ${this.registry} exhausted (ratelimit-remaining: ${res.headers.get("ratelimit-remaining") ?? "0"}); no more requests are sent to it in this run: set credentials for it, or wait for the quota window`
      : res.status === 401
        ? `authentication failed for ${this.registry}: 401 ${code ?? "UNAUTHORIZED"}`
        : res.status === 403
          ? `access denied by ${this.registry} (${what}): 403 ${detail}`
          : `${what} failed at ${this.registry}: ${res.status} ${detail}`;
    return new RegistryError(message, this.registry, res.status, code, transient && !quota, retryAfterMs(res.headers.get("retry-after")), quota);
  }

  private networkError(err: unknown): RegistryError {
    // A body stream that failed on its own terms (a corrupt or broken source read) already says why.
    if (err instanceof RegistryError) return err;
    if (err instanceof ProxyError) return new RegistryError(`cannot reach ${this.registry}: ${err.message}`, this.registry, null, "PROXY", err.transient);
    const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } };
    const timedOut = e.name === "TimeoutError" || e.name === "AbortError";
    const stalled = e.name === "StallError";
    const code = timedOut ? "TIMEOUT" : stalled ? "STALLED" : (e.cause?.code ?? e.code ?? null);
    const proxy = proxyOf(err);
    const via = proxy ? ` (through proxy ${proxy})` : "";
    const why = (timedOut ? `no answer within the deadline` : stalled ? `no bytes moved for ${Math.round((this.retry.stallMs ?? 0) / 1000)} s` : (code ?? "network error")) + via;
    return new RegistryError(`cannot reach ${this.registry}: ${why}`, this.registry, null, code, timedOut || (code !== null && TRANSIENT_CODES.has(code)));
  }

  private redact(text: string): string {
    const secrets = [this.credentials?.password, this.basic, ...[...this.tokens.values()].map((t) => t.token)];
    return redact(text, secrets.filter((s): s is string => typeof s === "string"));
  }
}
