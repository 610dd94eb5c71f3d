import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpBodyTooLargeError, httpRequest } from "../../src/engine/http.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const seen: Array<{ server: "a" | "b"; method: string; url: string; authorization: string | null }> = [];
let a: Server;
let b: Server;
let urlA = "";
let urlB = "";

function listen(name: "a" | "b", handler: Handler): Promise<[Server, string]> {
  const server = createServer((req, res) => {
    seen.push({ server: name, method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization ?? null });
    handler(req, res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve([server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`])));
}

beforeAll(async () => {
  [b, urlB] = await listen("b", (_req, res) => res.end("from b"));
  [a, urlA] = await listen("a", (req, res) => {
    if (req.url === "/same") return void res.writeHead(307, { location: "/final" }).end();
    if (req.url === "/other") return void res.writeHead(302, { location: `${urlB}/blob` }).end();
    if (req.url === "/slow") return void setTimeout(() => res.end("late"), 2_000);
    if (req.url === "/big") return void res.end(Buffer.alloc(10_000, 1));
    res.end(`from a ${req.url}`);
  });
});

afterAll(async () => {
  await Promise.all([a, b].map((s) => new Promise((r) => s.close(r))));
});

const init = { method: "GET", headers: { authorization: "Basic c2VjcmV0" }, timeoutMs: 5_000, followRedirects: true };

describe("httpRequest", () => {
  it("follows a redirect on the same origin with the credentials", async () => {
    seen.length = 0;
    const res = await httpRequest(`${urlA}/same`, init);
    expect([res.status, await res.text(), res.url]).toEqual([200, "from a /final", `${urlA}/final`]);
    expect(seen.map((s) => [s.server, s.url, s.authorization])).toEqual([
      ["a", "/same", "Basic c2VjcmV0"],
      ["a", "/final", "Basic c2VjcmV0"],
    ]);
  });

  it("drops Authorization when a redirect leads to another origin", async () => {
    seen.length = 0;
    const res = await httpRequest(`${urlA}/other`, init);
    expect(await res.text()).toBe("from b");
    expect(seen.map((s) => [s.server, s.url, s.authorization])).toEqual([
      ["a", "/other", "Basic c2VjcmV0"],
      ["b", "/blob", null],
    ]);
  });

  it("hands a redirect back unfollowed when asked to (a POST's Location is an upload URL)", async () => {
    const res = await httpRequest(`${urlA}/same`, { ...init, method: "POST", followRedirects: false });
    expect([res.status, res.headers.get("Location")]).toEqual([307, "/final"]);
    res.discard();
  });

  it("gives up at the deadline with a TimeoutError", async () => {
    const err = await httpRequest(`${urlA}/slow`, { ...init, timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "TimeoutError", code: "TIMEOUT" });
  });

  it("refuses a body over the caller's limit", async () => {
    const res = await httpRequest(`${urlA}/big`, init);
    await expect(res.bytes(1_000)).rejects.toBeInstanceOf(HttpBodyTooLargeError);
    const ok = await httpRequest(`${urlA}/big`, init);
    expect((await ok.bytes(10_000)).length).toBe(10_000);
  });
});
