/**
 * A small client for the distribution (OCI) HTTP API: what the planner and scheduler need to
 * decide without skopeo whether a copy is due, and to premount blobs.
 *
 * It runs on a small keep-alive HTTP transport (./http.ts), so a few hundred HEADs cost about
 * a millisecond each on a near registry, and a third of a millisecond of our CPU.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
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
  /** Requests sent again after a 401 challenge. */
  authRetries: number;
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

const TRANSIENT_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "TIMEOUT"]);
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
  ) {
    super(message);
  }
}

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
  return { requests: 0, ping: 0, token: 0, manifestHead: 0, manifestGet: 0, blobHead: 0, tagList: 0, mount: 0, uploadCancel: 0, authRetries: 0 };
}

function mediaTypeOf(res: HttpResponse): string {
  return (res.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
}

interface Call {
  kind: Exclude<keyof RegistryStats, "requests" | "authRetries">;
  method: string;
  path: string;
  /** Token scopes the request needs on a bearer registry. */
  scopes: string[];
  accept?: string;
  /** Statuses that are answers, not errors. */
  ok: number[];
}

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
  private readonly tokens = new Map<string, { token: string; expires: number }>();
  private readonly pendingTokens = new Map<string, Promise<string>>();

  constructor(opts: RegistryClientOptions) {
    this.registry = opts.registry;
    this.baseUrl = `${opts.tlsVerify === false ? "http" : "https"}://${apiHost(opts.registry)}`;
    this.credentials = opts.credentials ?? null;
    this.basic = this.credentials ? Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString("base64") : null;
    this.userAgent = opts.userAgent ?? "mirrorbot";
    this.timeoutMs = opts.timeoutMs ?? 30_000;
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
    if (location) {
      const url = new URL(location, this.baseUrl);
      // Only follow a Location on this registry: the request carries our credentials.
      if (url.origin === this.baseUrl) {
        await this.call({ kind: "uploadCancel", method: "DELETE", path: `${url.pathname}${url.search}`, scopes, ok: [204, 404] })
          .then((r) => r.discard())
          .catch(() => undefined);
      }
    }
    return false;
  }

  /** Send a call, answering one auth challenge. The caller reads or discards the body. */
  private async call(c: Call): Promise<HttpResponse> {
    const challenge = await this.learnChallenge();
    let auth = await this.authorization(challenge, c.scopes, false);
    let res = await this.send(c, auth);
    if (res.status === 401) {
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
    const headers: Record<string, string> = { "user-agent": this.userAgent };
    if (c.accept) headers.accept = c.accept;
    if (authorization) headers.authorization = authorization;
    return this.fetch(c.kind, `${this.baseUrl}${c.path}`, { method: c.method, headers });
  }

  private async fetch(kind: Call["kind"], url: string, init: { method: string; headers: Record<string, string> }): Promise<HttpResponse> {
    this.stats.requests++;
    this.stats[kind]++;
    try {
      const started = performance.now();
      const res = await httpRequest(url, { ...init, timeoutMs: this.timeoutMs, followRedirects: init.method === "GET" || init.method === "HEAD" });
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
    const transient = res.status >= 500 || res.status === 429 || res.status === 408 || code === "TOOMANYREQUESTS";
    // One line, always: a registry's text on a line of its own could start with "::" and be
    // run as a workflow command by GitHub Actions.
    const detail = oneLine(this.redact(first?.message ? `${code}: ${first.message}` : (code ?? res.statusText)));
    const message =
      res.status === 401
        ? `authentication failed for ${this.registry}: 401 ${code ?? "UNAUTHORIZED"}`
        : res.status === 403
          ? `access denied by ${this.registry} (${what}): 403 ${detail}`
          : `${what} failed at ${this.registry}: ${res.status} ${detail}`;
    return new RegistryError(message, this.registry, res.status, code, transient);
  }

  private networkError(err: unknown): RegistryError {
    if (err instanceof ProxyError) return new RegistryError(`cannot reach ${this.registry}: ${err.message}`, this.registry, null, "PROXY", err.transient);
    const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } };
    const timedOut = e.name === "TimeoutError" || e.name === "AbortError";
    const code = timedOut ? "TIMEOUT" : (e.cause?.code ?? e.code ?? null);
    const proxy = proxyOf(err);
    const via = proxy ? ` (through proxy ${proxy})` : "";
    const why = (timedOut ? `no answer within ${this.timeoutMs} ms` : (code ?? "network error")) + via;
    return new RegistryError(`cannot reach ${this.registry}: ${why}`, this.registry, null, code, timedOut || (code !== null && TRANSIENT_CODES.has(code)));
  }

  private redact(text: string): string {
    const secrets = [this.credentials?.password, this.basic, ...[...this.tokens.values()].map((t) => t.token)];
    return redact(text, secrets.filter((s): s is string => typeof s === "string"));
  }
}
