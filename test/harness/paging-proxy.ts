/**
 * A reverse proxy on 127.0.0.1 in front of a real registry that pages tag lists the way the
 * distribution spec says (and Docker Hub, GHCR and distribution 3 do): at most `n` tags per
 * answer (capped at `pageSize`), starting after `last`, with `Link: <...>; rel="next"` while
 * more remain. distribution 2.8 ignores `n` and answers everything at once, so without this
 * proxy pagination could not be tested against a real registry. Every other request is
 * passed through untouched, and every request is recorded.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Socket } from "node:net";

/** A request the proxy served. */
export interface PagedRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  status: number;
}

/** A running paging proxy; `host` replaces the registry's host in references. */
export interface PagingProxy {
  host: string;
  url: string;
  seen: PagedRequest[];
  close(): Promise<void>;
}

const TAGS_PATH = /^\/v2\/(.+)\/tags\/list$/;

/** Start the proxy in front of `upstream` ("127.0.0.1:PORT"); `pageSize` caps every page. */
export async function startPagingProxy(upstream: string, pageSize: number): Promise<PagingProxy> {
  const [upHost, upPort] = upstream.split(":") as [string, string];
  const seen: PagedRequest[] = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    const tags = req.method === "GET" ? TAGS_PATH.exec(url.pathname) : null;
    const headers = { ...req.headers, host: upstream };
    // The upstream answers the whole list; the proxy pages it.
    const path = tags ? url.pathname : `${url.pathname}${url.search}`;
    const up = request({ host: upHost, port: Number(upPort), method: req.method, path, headers }, (answer) => {
      if (!tags || answer.statusCode !== 200) {
        seen.push({ method: req.method ?? "", url: req.url ?? "", status: answer.statusCode ?? 502 });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on("data", (c: Buffer) => chunks.push(c));
      answer.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { name: string; tags: string[] | null };
        const all = [...(body.tags ?? [])].sort();
        const asked = Number(url.searchParams.get("n") ?? pageSize);
        const n = Math.max(1, Math.min(Number.isFinite(asked) && asked > 0 ? asked : pageSize, pageSize));
        const last = url.searchParams.get("last");
        const from = last === null ? 0 : all.findIndex((t) => t > last);
        const page = from === -1 ? [] : all.slice(from, from + n);
        const out: Record<string, string> = { "content-type": "application/json" };
        const end = from === -1 ? all.length : from + page.length;
        if (end < all.length) {
          const next = new URLSearchParams({ n: String(n), last: page.at(-1)! });
          out.link = `</v2/${tags[1]}/tags/list?${next}>; rel="next"`;
        }
        seen.push({ method: "GET", url: req.url ?? "", status: 200 });
        res.writeHead(200, out);
        res.end(JSON.stringify({ name: body.name, tags: page }));
      });
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Tag an image that is already in `registry` under more tags: one manifest GET, then one
 * manifest PUT per tag. No blobs move, so thousands of tags cost seconds.
 */
export async function addTags(registryUrl: string, repo: string, fromTag: string, tags: readonly string[], auth?: { username: string; password: string }): Promise<void> {
  const authorization: Record<string, string> = auth ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}` } : {};
  const accept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json";
  const got = await fetch(`${registryUrl}/v2/${repo}/manifests/${fromTag}`, { headers: { accept, ...authorization }, signal: AbortSignal.timeout(30_000) });
  if (got.status !== 200) throw new Error(`GET ${repo}:${fromTag}: ${got.status}`);
  const mediaType = (got.headers.get("content-type") ?? "").split(";")[0]!;
  const body = Buffer.from(await got.arrayBuffer());
  const queue = [...tags];
  const worker = async () => {
    for (let tag = queue.shift(); tag !== undefined; tag = queue.shift()) {
      const put = await fetch(`${registryUrl}/v2/${repo}/manifests/${tag}`, {
        method: "PUT",
        headers: { "content-type": mediaType, ...authorization },
        body,
        signal: AbortSignal.timeout(30_000),
      });
      await put.arrayBuffer();
      if (put.status !== 201) throw new Error(`PUT ${repo}:${tag}: ${put.status}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}
