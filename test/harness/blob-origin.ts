/**
 * A second HTTP origin on 127.0.0.1 that serves blob bytes handed to it, the way blob storage
 * behind a registry's redirect does (Docker Hub's CDN, S3), and records every request's
 * headers so a test can assert that the registry's credentials never reached it.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** A request the origin received. */
export interface OriginRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** A running origin. */
export interface BlobOrigin {
  url: string;
  /** Every request it received, in order. */
  requests: OriginRequest[];
  /** Store bytes under a fresh signed-looking URL and return that URL. */
  put(bytes: Buffer, contentType: string): string;
  close(): Promise<void>;
}

const RANGE = /^bytes=(\d+)-(\d*)$/;

/** Start an origin; close it when done. It answers `Range: bytes=N-[M]` with 206, as blob storage does. */
export async function startBlobOrigin(): Promise<BlobOrigin> {
  const objects = new Map<string, { bytes: Buffer; contentType: string }>();
  const requests: OriginRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? "GET", url: req.url ?? "/", headers: { ...req.headers } });
    req.resume();
    const id = new URL(req.url ?? "/", "http://origin").pathname.replace(/^\/objects\//, "");
    const object = objects.get(id);
    if (!object || (req.method !== "GET" && req.method !== "HEAD")) return void res.writeHead(404).end();
    const size = object.bytes.length;
    const range = RANGE.exec(String(req.headers.range ?? ""));
    let start = 0;
    let end = size - 1;
    const headers: Record<string, string> = { "content-type": object.contentType, "accept-ranges": "bytes" };
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size || start > end) return void res.writeHead(416, { "content-range": `bytes */${size}` }).end();
      headers["content-range"] = `bytes ${start}-${end}/${size}`;
    }
    headers["content-length"] = String(end - start + 1);
    res.writeHead(range ? 206 : 200, headers);
    res.end(req.method === "HEAD" ? undefined : object.bytes.subarray(start, end + 1));
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closing: Promise<void> | null = null;
  return {
    url,
    requests,
    put(bytes, contentType) {
      const id = randomUUID();
      objects.set(id, { bytes, contentType });
      return `${url}/objects/${id}?signature=${randomUUID()}`;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
