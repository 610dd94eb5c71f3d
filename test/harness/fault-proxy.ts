/**
 * A reverse proxy on 127.0.0.1 in front of a real registry that injects faults by rule, the
 * way a flaky load balancer, a broken link or a misbehaving CDN would: error statuses (with
 * `Retry-After`), connections reset in the middle of a body (downloads and uploads), stalls
 * (before the headers or mid-body), flipped bytes in blob downloads, and blob GETs redirected
 * to another origin. Everything else is forwarded untouched, except `Location` headers, which
 * are rewritten so upload sessions keep going through the proxy.
 *
 * Written here rather than taken from a library: the faults must hit exact points of the
 * distribution API (the 3rd request, byte N of one blob), which generic chaos proxies do not
 * address.
 *
 * ```ts
 * const proxy = await startFaultProxy(target, [{ every: 3, fault: { kind: "status", status: 503 } }]);
 * // point the engine at proxy.host; afterwards proxy.events lists what it did
 * await proxy.close();
 * ```
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { parseRoute } from "./access-log.js";
import type { BlobOrigin } from "./blob-origin.js";

/** What a request addresses in the distribution API, by method. */
export type RequestKind =
  | "base"
  | "manifest-head"
  | "manifest-get"
  | "manifest-put"
  | "blob-head"
  | "blob-get"
  /** POST that opens an upload session or mounts (`mount=`). */
  | "upload-post"
  | "upload-patch"
  | "upload-put"
  /** GET of an upload session's status. */
  | "upload-get"
  | "tags"
  | "other";

/** A request as the rules see it. */
export interface FaultRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  kind: RequestKind;
  /** Repository name, when the path addresses one. */
  repo: string | null;
  /** Blob digest or manifest reference, when the path has one. */
  reference: string | null;
  headers: IncomingMessage["headers"];
}

/** What to do to a matching request. */
export type Fault =
  /** Answer with this status and a registry error body, without asking the registry. */
  | { kind: "status"; status: number; code?: string; message?: string; retryAfterSeconds?: number }
  /**
   * Break the connection after `afterBytes` bytes of the body: the response body on a
   * download (headers sent, then a socket destroy), the request body on an upload (the
   * registry receives the truncated body, the client sees its connection reset).
   */
  | { kind: "reset"; afterBytes: number }
  /**
   * Send nothing for `ms`: before the response headers when `afterBytes` is absent, else after
   * that many response-body bytes. The request then carries on normally (unless the client
   * gave up, which is what a stall timeout is for).
   */
  | { kind: "stall"; ms: number; afterBytes?: number }
  /** Flip the byte at `offset` of the response body (default: the middle); the length stays. */
  | { kind: "corrupt"; offset?: number }
  /**
   * Answer a successful blob GET with a 307 to `origin`, which serves the bytes the registry
   * sent (the way Docker Hub sends blob downloads to its CDN).
   */
  | { kind: "redirect"; origin: BlobOrigin };

/** Which requests a rule counts, and how often it acts on them. */
export interface FaultRule {
  /** Count only requests of these kinds; all kinds when absent. */
  kinds?: readonly RequestKind[];
  /** Count only requests to this repository (as in the path). */
  repo?: string;
  /** Count only requests this predicate accepts (after `kinds` and `repo`). */
  where?: (req: FaultRequest) => boolean;
  /** Act on every Nth counted request: the Nth, 2Nth, ... (default 1: every one). */
  every?: number;
  /** Act at most this many times (default: no limit). */
  times?: number;
  fault: Fault;
}

/** One fault the proxy injected. */
export interface FaultEvent {
  /** Index of the rule in the list given to startFaultProxy. */
  rule: number;
  fault: Fault["kind"];
  method: string;
  url: string;
  kind: RequestKind;
  repo: string | null;
  reference: string | null;
}

/** A running proxy. */
export interface FaultProxy {
  /** "127.0.0.1:PORT": use it as the registry host. */
  host: string;
  url: string;
  /** Every request that went through, in arrival order (faulted or not). */
  requests: FaultRequest[];
  /** The faults injected so far, in order. */
  events: FaultEvent[];
  /** Number of faults injected, optionally only of one kind. */
  count(fault?: Fault["kind"]): number;
  /** Replace the rules (counters start again); an empty list makes it a plain proxy. */
  setRules(rules: readonly FaultRule[]): void;
  /** Destroy every open connection, cancel pending stalls and stop listening. */
  close(): Promise<void>;
}

/** The upstream the proxy forwards to, e.g. a RunningRegistry. */
export interface Upstream {
  /** "127.0.0.1:PORT". */
  host: string;
}

const MAX_REDIRECT_BODY = 64 * 1024 * 1024;

/** Tell what a request addresses, e.g. `HEAD /v2/a/manifests/1` is "manifest-head". */
export function classify(method: string, url: string): Pick<FaultRequest, "kind" | "repo" | "reference"> {
  const path = url.split("?")[0] ?? "";
  const route = parseRoute(path);
  const m = method.toUpperCase();
  switch (route.kind) {
    case "base":
      return { kind: "base", repo: null, reference: null };
    case "manifest": {
      const kind = m === "HEAD" ? "manifest-head" : m === "GET" ? "manifest-get" : m === "PUT" ? "manifest-put" : "other";
      return { kind, repo: route.repo, reference: route.reference };
    }
    case "blob": {
      const kind = m === "HEAD" ? "blob-head" : m === "GET" ? "blob-get" : "other";
      return { kind, repo: route.repo, reference: route.digest };
    }
    case "upload": {
      const kind = m === "POST" ? "upload-post" : m === "PATCH" ? "upload-patch" : m === "PUT" ? "upload-put" : m === "GET" ? "upload-get" : "other";
      const digest = new URLSearchParams(url.split("?")[1] ?? "").get("digest") ?? new URLSearchParams(url.split("?")[1] ?? "").get("mount");
      return { kind, repo: route.repo, reference: digest };
    }
    case "tags":
      return { kind: "tags", repo: route.repo, reference: null };
    default:
      return { kind: "other", repo: null, reference: null };
  }
}

function errorBody(status: number, code: string | undefined, message: string | undefined): string {
  const fallback = status === 401 ? "UNAUTHORIZED" : status === 403 ? "DENIED" : status === 429 ? "TOOMANYREQUESTS" : status === 404 ? "NAME_UNKNOWN" : "UNAVAILABLE";
  return JSON.stringify({ errors: [{ code: code ?? fallback, message: message ?? `injected ${status}`, detail: null }] });
}

/** Start a proxy for `upstream` applying `rules` (checked in order; the first that acts wins). */
export async function startFaultProxy(upstream: Upstream, rules: readonly FaultRule[] = []): Promise<FaultProxy> {
  const [upHost = "127.0.0.1", upPortText = "0"] = upstream.host.split(":");
  const upPort = Number(upPortText);
  const requests: FaultRequest[] = [];
  const events: FaultEvent[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let active: readonly FaultRule[] = rules;
  let counters: number[] = rules.map(() => 0);
  let acted: number[] = rules.map(() => 0);
  let proxyHost = "";
  let closed = false;

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      if (closed) return resolve();
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  /** Count the request against every rule that matches; return the first rule that acts on it. */
  function pick(req: FaultRequest): number {
    let chosen = -1;
    active.forEach((rule, i) => {
      if (rule.kinds && !rule.kinds.includes(req.kind)) return;
      if (rule.repo !== undefined && req.repo !== rule.repo) return;
      if (rule.where && !rule.where(req)) return;
      counters[i] = (counters[i] ?? 0) + 1;
      if (chosen !== -1) return;
      if ((counters[i] ?? 0) % Math.max(1, rule.every ?? 1) !== 0) return;
      if (rule.times !== undefined && (acted[i] ?? 0) >= rule.times) return;
      acted[i] = (acted[i] ?? 0) + 1;
      chosen = i;
    });
    return chosen;
  }

  function rewriteHeaders(headers: IncomingMessage["headers"]): IncomingMessage["headers"] {
    const out = { ...headers };
    const location = out.location;
    if (typeof location === "string") {
      // distribution builds absolute Locations from the Host header it saw; either way they must point here.
      out.location = location.replace(`//${upstream.host}`, `//${proxyHost}`);
    }
    return out;
  }

  function forward(req: IncomingMessage, res: ServerResponse, onResponse: (answer: IncomingMessage) => void, requestBody?: (up: ReturnType<typeof httpRequest>) => void): void {
    const headers = { ...req.headers, host: upstream.host };
    const up = httpRequest({ host: upHost, port: upPort, method: req.method, path: req.url, headers }, onResponse);
    up.on("error", () => res.destroy());
    res.on("close", () => {
      if (!res.writableFinished) up.destroy();
    });
    if (requestBody) requestBody(up);
    else req.pipe(up);
  }

  function plain(req: IncomingMessage, res: ServerResponse): void {
    forward(req, res, (answer) => {
      res.writeHead(answer.statusCode ?? 502, rewriteHeaders(answer.headers));
      answer.pipe(res);
    });
  }

  /** Send `answer`'s body to `res`, calling `at(sent, chunk)` before each chunk; it may hold, cut or alter it. */
  async function relay(answer: IncomingMessage, res: ServerResponse, at: (sent: number, chunk: Buffer) => Promise<Buffer | null>): Promise<void> {
    let sent = 0;
    try {
      for await (const raw of answer) {
        const chunk = raw as Buffer;
        const out = await at(sent, chunk);
        if (out === null || res.destroyed) return;
        sent += chunk.length;
        if (!res.write(out)) await new Promise<void>((r) => (res.destroyed ? r() : res.once("drain", r).once("close", r)));
      }
      res.end();
    } catch {
      res.destroy();
    }
  }

  function inject(rule: FaultRule, req: IncomingMessage, res: ServerResponse, info: FaultRequest): void {
    const fault = rule.fault;
    switch (fault.kind) {
      case "status": {
        req.resume();
        const headers: Record<string, string> = { "content-type": "application/json", "docker-distribution-api-version": "registry/2.0" };
        if (fault.retryAfterSeconds !== undefined) headers["retry-after"] = String(fault.retryAfterSeconds);
        if (fault.status === 401) headers["www-authenticate"] = 'Basic realm="fault-proxy"';
        res.writeHead(fault.status, headers).end(errorBody(fault.status, fault.code, fault.message));
        return;
      }
      case "reset": {
        const hasBody = info.kind === "upload-patch" || info.kind === "upload-put" || info.kind === "upload-post" || info.kind === "manifest-put";
        if (hasBody) {
          // Pass the first afterBytes of the upload, then cut both sides mid-body.
          forward(req, res, () => undefined, (up) => {
            let passed = 0;
            req.on("data", (chunk: Buffer) => {
              const room = fault.afterBytes - passed;
              if (room > 0) up.write(room >= chunk.length ? chunk : chunk.subarray(0, room));
              passed += chunk.length;
              if (passed >= fault.afterBytes) {
                up.destroy();
                req.socket.destroy();
              }
            });
            req.on("end", () => {
              // The body was shorter than afterBytes: cut anyway, before the registry answers.
              up.destroy();
              req.socket.destroy();
            });
          });
          return;
        }
        forward(req, res, (answer) => {
          res.writeHead(answer.statusCode ?? 502, rewriteHeaders(answer.headers));
          res.flushHeaders();
          void relay(answer, res, async (sent, chunk) => {
            if (sent + chunk.length <= fault.afterBytes) return chunk;
            const head = chunk.subarray(0, Math.max(0, fault.afterBytes - sent));
            if (head.length > 0) await new Promise<void>((r) => res.write(head, () => r()));
            answer.destroy();
            res.socket?.destroy();
            return null;
          });
        });
        return;
      }
      case "stall": {
        if (fault.afterBytes === undefined) {
          void wait(fault.ms).then(() => (closed || res.destroyed ? res.destroy() : plain(req, res)));
          return;
        }
        const at = fault.afterBytes;
        let stalled = false;
        forward(req, res, (answer) => {
          res.writeHead(answer.statusCode ?? 502, rewriteHeaders(answer.headers));
          res.flushHeaders();
          void relay(answer, res, async (sent, chunk) => {
            if (stalled || sent + chunk.length <= at) return chunk;
            stalled = true;
            const head = chunk.subarray(0, Math.max(0, at - sent));
            if (head.length > 0) await new Promise<void>((r) => res.write(head, () => r()));
            await wait(fault.ms);
            if (closed || res.destroyed) return null;
            return chunk.subarray(head.length);
          });
        });
        return;
      }
      case "corrupt": {
        forward(req, res, (answer) => {
          res.writeHead(answer.statusCode ?? 502, rewriteHeaders(answer.headers));
          const length = Number(answer.headers["content-length"] ?? 0);
          const offset = fault.offset ?? Math.floor(length / 2);
          void relay(answer, res, async (sent, chunk) => {
            if (offset < sent || offset >= sent + chunk.length) return chunk;
            const copy = Buffer.from(chunk);
            copy[offset - sent] = (copy[offset - sent] ?? 0) ^ 0xff;
            return copy;
          });
        });
        return;
      }
      case "redirect": {
        forward(req, res, (answer) => {
          if (answer.statusCode !== 200) {
            res.writeHead(answer.statusCode ?? 502, rewriteHeaders(answer.headers));
            answer.pipe(res);
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          answer.on("data", (c: Buffer) => {
            size += c.length;
            if (size > MAX_REDIRECT_BODY) answer.destroy(new Error("blob too large to redirect"));
            else chunks.push(c);
          });
          answer.on("error", () => res.destroy());
          answer.on("end", () => {
            const location = fault.origin.put(Buffer.concat(chunks), String(answer.headers["content-type"] ?? "application/octet-stream"));
            res.writeHead(307, { location, "content-length": "0" }).end();
          });
        });
        return;
      }
    }
  }

  const server = createServer((req, res) => {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const info: FaultRequest = { method, url, ...classify(method, url), headers: req.headers };
    requests.push(info);
    const i = pick(info);
    const rule = active[i];
    if (i === -1 || !rule) return plain(req, res);
    events.push({ rule: i, fault: rule.fault.kind, method, url, kind: info.kind, repo: info.repo, reference: info.reference });
    inject(rule, req, res, info);
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("clientError", (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  proxyHost = `127.0.0.1:${port}`;
  let closing: Promise<void> | null = null;
  return {
    host: proxyHost,
    url: `http://${proxyHost}`,
    requests,
    events,
    count: (fault) => (fault === undefined ? events.length : events.filter((e) => e.fault === fault).length),
    setRules(next) {
      active = next;
      counters = next.map(() => 0);
      acted = next.map(() => 0);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}

