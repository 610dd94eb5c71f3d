/**
 * Parse and count the requests a distribution registry served.
 *
 * distribution 2.8 writes two logs: a JSON application log on stderr and an Apache
 * "combined" access log on stdout. Only the access log has every request: the JSON log
 * skips 401 challenges and unknown routes. Neither log carries the request's content
 * length, so uploaded bytes cannot be summed from PUT/PATCH sizes. Instead the registry
 * harness attaches the stored size of the blob to each completed upload (the PUT or
 * monolithic POST with `?digest=` that answered 201), and `uploadedBlobBytes` sums those.
 * A race where two clients upload the same blob shows as two completions, so duplicates
 * are counted, which is what "bytes uploaded" must measure. Uploads abandoned half-way are
 * not counted.
 */

/** One request as the registry's access log recorded it. */
export interface AccessLogEntry {
  method: string;
  /** URI path without the query, as sent (not percent-decoded). */
  path: string;
  /** Decoded query parameters (last value wins). */
  query: Record<string, string>;
  status: number;
  /** Response body bytes the registry wrote. */
  bytesOut: number;
  userAgent?: string;
  /** Set on a completed blob upload: the digest and the stored blob size. */
  upload?: { digest: string; size: number };
}

/** What a request path addresses in the distribution API. */
export type Route =
  | { kind: "base" }
  | { kind: "manifest"; repo: string; reference: string }
  | { kind: "blob"; repo: string; digest: string }
  | { kind: "upload"; repo: string; uuid: string | null }
  | { kind: "tags"; repo: string }
  | { kind: "catalog" }
  | { kind: "other" };

// host ident user [time] "METHOD URI PROTO" status size "referer" "user-agent"
const COMBINED =
  /^\S+ \S+ \S+ \[[^\]]*\] "(\S+) (\S+) [^"]*" (\d{3}) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"\s*$/;

/**
 * Parse one access log line; null for anything else.
 * @example parseAccessLine('127.0.0.1 - - [22/Nov/2026:17:55:46 +0000] "HEAD /v2/a/manifests/1 HTTP/1.1" 200 0 "" "skopeo"')
 */
export function parseAccessLine(line: string): AccessLogEntry | null {
  const m = COMBINED.exec(line);
  if (!m) return null;
  const [, method = "", uri = "", status = "0", size = "-", , agent = ""] = m;
  const q = uri.indexOf("?");
  const query: Record<string, string> = {};
  if (q >= 0) for (const [k, v] of new URLSearchParams(uri.slice(q + 1))) query[k] = v;
  const entry: AccessLogEntry = {
    method,
    path: q >= 0 ? uri.slice(0, q) : uri,
    query,
    status: Number(status),
    bytesOut: size === "-" ? 0 : Number(size),
  };
  const userAgent = agent.replace(/\\(.)/g, "$1");
  if (userAgent !== "") entry.userAgent = userAgent;
  return entry;
}

const NAME = "((?:[a-z0-9]+(?:[._-]+[a-z0-9]+)*)(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*)";

/** Tell what a request path addresses, e.g. `/v2/library/nginx/manifests/1.26` is a manifest of `library/nginx`. */
export function parseRoute(path: string): Route {
  if (path === "/v2/" || path === "/v2") return { kind: "base" };
  if (path === "/v2/_catalog") return { kind: "catalog" };
  let m = new RegExp(`^/v2/${NAME}/blobs/uploads/([^/]*)$`).exec(path);
  if (m) return { kind: "upload", repo: m[1] ?? "", uuid: m[2] ? m[2] : null };
  m = new RegExp(`^/v2/${NAME}/blobs/([^/]+)$`).exec(path);
  if (m) return { kind: "blob", repo: m[1] ?? "", digest: decodeURIComponent(m[2] ?? "") };
  m = new RegExp(`^/v2/${NAME}/manifests/([^/]+)$`).exec(path);
  if (m) return { kind: "manifest", repo: m[1] ?? "", reference: decodeURIComponent(m[2] ?? "") };
  m = new RegExp(`^/v2/${NAME}/tags/list$`).exec(path);
  if (m) return { kind: "tags", repo: m[1] ?? "" };
  return { kind: "other" };
}

/**
 * The digest of a blob upload this request completed, or null.
 * A completion is a 201 to `PUT .../blobs/uploads/<uuid>?digest=` or to a monolithic
 * `POST .../blobs/uploads/?digest=`; a 201 to a POST with `mount=` moved no bytes.
 */
export function completedUploadDigest(entry: Pick<AccessLogEntry, "method" | "path" | "query" | "status">): string | null {
  if (entry.status !== 201) return null;
  if (entry.method !== "PUT" && entry.method !== "POST") return null;
  if (entry.query.mount !== undefined) return null;
  if (parseRoute(entry.path).kind !== "upload") return null;
  return entry.query.digest ?? null;
}

/** Sum of the sizes of all completed blob uploads, duplicates included. */
export function uploadedBlobBytes(entries: readonly AccessLogEntry[]): number {
  return entries.reduce((n, e) => n + (e.upload?.size ?? 0), 0);
}

/** The completed blob uploads in log order, duplicates included. */
export function uploadedBlobs(entries: readonly AccessLogEntry[]): Array<{ digest: string; size: number }> {
  return entries.flatMap((e) => (e.upload ? [e.upload] : []));
}

/** Number of requests that write: PUT, POST, PATCH and DELETE. */
export function countWrites(entries: readonly AccessLogEntry[]): number {
  return entries.filter((e) => e.method === "PUT" || e.method === "POST" || e.method === "PATCH" || e.method === "DELETE").length;
}

/** Request counts by kind. 401 answers count only under `unauthorized`. */
export interface KindCounts {
  manifestGet: number;
  manifestHead: number;
  manifestPut: number;
  blobGet: number;
  blobHead: number;
  /** POSTs that open an upload session (no `mount=`). */
  uploadStarts: number;
  /** PUTs (or monolithic POSTs) that completed a blob upload with 201. */
  uploadCompletions: number;
  /** POSTs with `mount=` that mounted (201). */
  mounts: number;
  /** POSTs with `mount=` where the registry opened an upload instead (202). */
  mountMisses: number;
  unauthorized: number;
  total: number;
}

/** Count requests by kind, e.g. to assert that a no-op run sent only HEADs. */
export function countByKind(entries: readonly AccessLogEntry[]): KindCounts {
  const c: KindCounts = {
    manifestGet: 0, manifestHead: 0, manifestPut: 0, blobGet: 0, blobHead: 0,
    uploadStarts: 0, uploadCompletions: 0, mounts: 0, mountMisses: 0, unauthorized: 0, total: 0,
  };
  for (const e of entries) {
    c.total++;
    if (e.status === 401) {
      c.unauthorized++;
      continue;
    }
    const route = parseRoute(e.path);
    if (route.kind === "manifest") {
      if (e.method === "GET") c.manifestGet++;
      else if (e.method === "HEAD") c.manifestHead++;
      else if (e.method === "PUT") c.manifestPut++;
    } else if (route.kind === "blob") {
      if (e.method === "GET") c.blobGet++;
      else if (e.method === "HEAD") c.blobHead++;
    } else if (route.kind === "upload") {
      if (e.method === "POST" && e.query.mount !== undefined) {
        if (e.status === 201) c.mounts++;
        else if (e.status === 202) c.mountMisses++;
      } else if (e.method === "POST" && route.uuid === null && e.query.digest === undefined) {
        c.uploadStarts++;
      }
      if (completedUploadDigest(e) !== null) c.uploadCompletions++;
    }
  }
  return c;
}
