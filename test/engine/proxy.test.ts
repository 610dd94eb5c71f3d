import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { httpRequest } from "../../src/engine/http.js";
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import { proxyFor, proxySettingsProblem } from "../../src/engine/proxy.js";
import { proxyAddress, proxyOf, tunnelAgent } from "../../src/engine/proxy-tunnel.js";
import { RegistryClient } from "../../src/engine/registry-client.js";
import { type ForwardProxy, startForwardProxy } from "../harness/forward-proxy.js";

const url = (u: string) => new URL(u);

/** The error a promise rejects with; fails the test if it resolves. */
async function rejection(pending: Promise<unknown>): Promise<Error & { code?: string; transient?: boolean }> {
  try {
    await pending;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}
const via = (u: string, env: NodeJS.ProcessEnv) => proxyFor(url(u), env)?.href ?? null;

describe("proxyFor (Go's rules, which skopeo follows)", () => {
  it("takes HTTPS_PROXY for https and HTTP_PROXY for http, upper case first, and assumes http:// without a scheme", () => {
    const env = { HTTPS_PROXY: "10.0.0.1:7890", https_proxy: "http://ignored:1", http_proxy: "http://plain.proxy:3128" };
    expect(via("https://registry-1.docker.io/v2/", env)).toBe("http://10.0.0.1:7890/");
    expect(via("http://harbor.lan:5000/v2/", env)).toBe("http://plain.proxy:3128/");
    expect(via("https://ghcr.io/v2/", { https_proxy: "http://lower:8080" })).toBe("http://lower:8080/");
    expect(via("http://harbor.lan/v2/", { HTTPS_PROXY: "http://p:1" })).toBeNull();
    expect(via("https://ghcr.io/v2/", {})).toBeNull();
  });

  it("never proxies localhost or loopback addresses, whatever NO_PROXY says", () => {
    const env = { HTTPS_PROXY: "http://p:1", HTTP_PROXY: "http://p:1", NO_PROXY: "" };
    expect(via("http://127.0.0.1:5000/v2/", env)).toBeNull();
    expect(via("http://127.8.9.10:5000/v2/", env)).toBeNull();
    expect(via("https://localhost/v2/", env)).toBeNull();
    expect(via("http://[::1]:5000/v2/", env)).toBeNull();
    expect(via("http://10.1.2.3:5000/v2/", env)).toBe("http://p:1/");
  });

  it("reads NO_PROXY as Go does: names with their subdomains, leading dots for subdomains only, ports, IPs, CIDRs and *", () => {
    const env = (noProxy: string) => ({ HTTPS_PROXY: "http://p:1", NO_PROXY: noProxy });
    expect(via("https://harbor.corp/v2/", env("corp"))).toBeNull();
    expect(via("https://a.b.corp/v2/", env("corp"))).toBeNull();
    expect(via("https://notcorp/v2/", env("corp"))).toBe("http://p:1/");
    expect(via("https://corp/v2/", env(".corp"))).toBe("http://p:1/");
    expect(via("https://harbor.corp/v2/", env(".corp"))).toBeNull();
    expect(via("https://harbor.corp/v2/", env("*.corp"))).toBeNull();
    expect(via("https://harbor.corp:8443/v2/", env("harbor.corp:443"))).toBe("http://p:1/");
    expect(via("https://harbor.corp/v2/", env("harbor.corp:443"))).toBeNull();
    expect(via("https://10.20.30.40/v2/", env("10.0.0.0/8, registry.example"))).toBeNull();
    expect(via("https://11.20.30.40/v2/", env("10.0.0.0/8"))).toBe("http://p:1/");
    expect(via("https://192.168.1.5/v2/", env("192.168.1.5"))).toBeNull();
    expect(via("https://HARBOR.Corp/v2/", env("harbor.corp"))).toBeNull();
    expect(via("https://anything.io/v2/", env("*"))).toBeNull();
    expect(via("https://ghcr.io/v2/", { HTTPS_PROXY: "http://p:1", no_proxy: "ghcr.io" })).toBeNull();
  });

  it("splits NO_PROXY on commas only, and skips an empty NO_PROXY for no_proxy, as Go does", () => {
    expect(via("https://registry.example.test/v2/", { HTTPS_PROXY: "http://p:1", NO_PROXY: "a.com registry.example.test" })).toBe("http://p:1/");
    expect(via("https://registry.example.test/v2/", { HTTPS_PROXY: "http://p:1", NO_PROXY: " a.com ,registry.example.test " })).toBeNull();
    expect(via("https://registry.example.test/v2/", { HTTPS_PROXY: "http://p:1", NO_PROXY: "", no_proxy: "registry.example.test" })).toBeNull();
    expect(via("https://registry.example.test/v2/", { HTTPS_PROXY: "", https_proxy: "http://lower:2" })).toBe("http://lower:2/");
  });

  it("compares IPv6 addresses and CIDRs by value, and treats IPv4-mapped loopback as loopback", () => {
    const env = (noProxy: string) => ({ HTTPS_PROXY: "http://p:1", NO_PROXY: noProxy });
    expect(via("https://[2001:db8::1]/v2/", env("2001:db8:0:0::1"))).toBeNull();
    expect(via("https://[2001:db8::1]/v2/", env("2001:db8::/32"))).toBeNull();
    expect(via("https://[2001:db9::1]/v2/", env("2001:db8::/32"))).toBe("http://p:1/");
    expect(via("https://[::ffff:127.0.0.1]/v2/", env(""))).toBeNull();
    expect(proxyAddress(url("http://[::1]:3128"))).toEqual({ host: "::1", port: 3128 });
  });

  it("names the variable when a proxy cannot be used, and never echoes its value", () => {
    expect(() => proxyFor(url("https://ghcr.io/v2/"), { HTTPS_PROXY: "socks5://u:pw@127.0.0.1:1080" })).toThrow(
      "HTTPS_PROXY: mirrorbot's registry requests support http:// proxies, not socks5://",
    );
    const invalid = "is not a valid proxy URL (expected http://[user:password@]host:port, with special characters in the password percent-encoded)";
    for (const value of ["http://user:pa/ss@proxy:3128", "user:pa/ss@proxy:3128", "http://user:p@ss@pro xy:3128", "http://user:%zz@proxy:3128"]) {
      expect(() => proxyFor(url("https://ghcr.io/v2/"), { https_proxy: value })).toThrow(`https_proxy ${invalid}`);
    }
  });

  it("checks only the settings the run's registries would use", () => {
    const registries = ["http://127.0.0.1:5000", "http://harbor.lan:5000", "https://ghcr.io"];
    expect(proxySettingsProblem(registries.slice(0, 1), { HTTP_PROXY: "socks5://p:1" })).toBeNull();
    expect(proxySettingsProblem(registries.slice(2), { HTTP_PROXY: "socks5://p:1" })).toBeNull();
    expect(proxySettingsProblem(registries, { HTTP_PROXY: "socks5://p:1" })).toBe("HTTP_PROXY: mirrorbot's registry requests support http:// proxies, not socks5://");
    expect(proxySettingsProblem(registries, { HTTPS_PROXY: "socks5://p:1", NO_PROXY: "ghcr.io" })).toBeNull();
  });
});

describe("requests through a proxy", () => {
  const credentials = { username: "alice", password: "p@ss:word" };
  let upstream: Server;
  let upstreamHost = "";
  let proxy: ForwardProxy;
  const upstreamSaw: Array<{ host: string | undefined; url: string | undefined; authorization: string | undefined; proxyAuthorization: string | undefined }> = [];

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      upstreamSaw.push({ host: req.headers.host, url: req.url, authorization: req.headers.authorization, proxyAuthorization: req.headers["proxy-authorization"] });
      res.writeHead(200, { "docker-content-digest": "sha256:abc" }).end(`hello ${req.url}`);
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    upstreamHost = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    proxy = await startForwardProxy({ routes: { "registry.mirrorbot.test:5000": upstreamHost }, credentials });
  });

  afterAll(async () => {
    await proxy.close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  afterEach(() => {
    vi.unstubAllEnvs();
    proxy.seen.length = 0;
    upstreamSaw.length = 0;
  });

  it("sends a plain-HTTP registry request to HTTP_PROXY as an absolute URL, with Proxy-Authorization for the proxy only", async () => {
    vi.stubEnv("HTTP_PROXY", proxy.url);
    const res = await httpRequest("http://registry.mirrorbot.test:5000/v2/library/nginx/manifests/1.26", {
      method: "GET",
      headers: { authorization: "Basic cmVnaXN0cnk=" },
      timeoutMs: 5_000,
      followRedirects: true,
    });
    expect([res.status, await res.text()]).toEqual([200, "hello /v2/library/nginx/manifests/1.26"]);
    expect(proxy.seen).toEqual([
      { method: "GET", target: "http://registry.mirrorbot.test:5000/v2/library/nginx/manifests/1.26", proxyAuthorization: `Basic ${Buffer.from("alice:p@ss:word").toString("base64")}`, userAgent: null },
    ]);
    expect(upstreamSaw).toEqual([{ host: "registry.mirrorbot.test:5000", url: "/v2/library/nginx/manifests/1.26", authorization: "Basic cmVnaXN0cnk=", proxyAuthorization: undefined }]);
  });

  it("keeps the connection to the proxy alive between requests", async () => {
    vi.stubEnv("HTTP_PROXY", proxy.url);
    const before = proxy.connections();
    for (const path of ["/v2/", "/v2/library/nginx/tags/list"]) {
      const res = await httpRequest(`http://registry.mirrorbot.test:5000${path}`, { method: "GET", headers: {}, timeoutMs: 5_000, followRedirects: true });
      await res.text();
    }
    expect(proxy.seen.map((r) => r.target)).toEqual(["http://registry.mirrorbot.test:5000/v2/", "http://registry.mirrorbot.test:5000/v2/library/nginx/tags/list"]);
    // One connection at most (an earlier test's may still be open and serve both).
    expect(proxy.connections() - before).toBeLessThanOrEqual(1);
  });

  it("goes straight to a loopback registry even with a proxy set", async () => {
    vi.stubEnv("HTTP_PROXY", proxy.url);
    const res = await httpRequest(`http://${upstreamHost}/direct`, { method: "GET", headers: {}, timeoutMs: 5_000, followRedirects: true });
    expect(await res.text()).toBe("hello /direct");
    expect(proxy.seen).toEqual([]);
  });

  it("reports a refused proxy as the registry client's error, naming the proxy but never its password", async () => {
    vi.stubEnv("HTTP_PROXY", proxy.url.replace("p%40ss%3Aword", "wrong"));
    const client = new RegistryClient({ registry: "registry.mirrorbot.test:5000", tlsVerify: false });
    // A 407 from the proxy is an answer, not a network error: the client sees the status.
    await expect(client.headManifest("library/nginx", "1.26")).rejects.toThrow(/407/);
    vi.stubEnv("HTTP_PROXY", "http://alice:secret-pw@127.0.0.1:1");
    const error = await rejection(client.headManifest("library/nginx", "1.26"));
    expect(error.message).toBe("cannot reach registry.mirrorbot.test:5000: ECONNREFUSED (through proxy http://127.0.0.1:1)");
  });
});

describe("HTTPS through a CONNECT tunnel", () => {
  let dir = "";
  let cert = "";
  let server: https.Server;
  let proxy: ForwardProxy;
  let refusing: ForwardProxy;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mirrorbot-tls-"));
    // A throwaway certificate for a name that resolves nowhere: only the tunnel can reach it.
    await promisify(execFile)("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
      "-subj", "/CN=registry.mirrorbot.test", "-addext", "subjectAltName=DNS:registry.mirrorbot.test",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    ]);
    cert = await readFile(join(dir, "cert.pem"), "utf8");
    server = https.createServer({ key: await readFile(join(dir, "key.pem")), cert }, (req, res) => res.end(`tls ${req.headers.host} ${req.url}`));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const routes = { "registry.mirrorbot.test:443": `127.0.0.1:${(server.address() as AddressInfo).port}` };
    proxy = await startForwardProxy({ routes, credentials: { username: "bob", password: "tunnel-pw" } });
    refusing = await startForwardProxy({ routes, refuseConnect: 403 });
  }, 30_000);

  afterAll(async () => {
    await Promise.all([proxy?.close(), refusing?.close()]);
    await new Promise((resolve) => server?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  afterEach(() => vi.unstubAllEnvs());

  it("opens a tunnel with the proxy's credentials and speaks TLS to the registry inside it", async () => {
    const agent = tunnelAgent(new URL(proxy.url), { ca: cert });
    const body = await new Promise<string>((resolve, reject) => {
      https.get("https://registry.mirrorbot.test/v2/", { agent }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve(text));
      }).on("error", reject);
    });
    agent.destroy();
    expect(body).toBe("tls registry.mirrorbot.test /v2/");
    expect(proxy.seen).toEqual([{ method: "CONNECT", target: "registry.mirrorbot.test:443", proxyAuthorization: `Basic ${Buffer.from("bob:tunnel-pw").toString("base64")}`, userAgent: null }]);
  });

  it("reuses an open tunnel for the next request to the same registry", async () => {
    proxy.seen.length = 0;
    const agent = tunnelAgent(new URL(proxy.url), { ca: cert });
    const get = (path: string) =>
      new Promise<string>((resolve, reject) => {
        https.get(`https://registry.mirrorbot.test${path}`, { agent }, (res) => {
          let text = "";
          res.on("data", (c: Buffer) => (text += c.toString()));
          res.on("end", () => resolve(text));
        }).on("error", reject);
      });
    expect([await get("/a"), await get("/b")]).toEqual(["tls registry.mirrorbot.test /a", "tls registry.mirrorbot.test /b"]);
    agent.destroy();
    expect(proxy.seen.map((r) => r.method)).toEqual(["CONNECT"]);
  });

  it("gives up at the request's deadline while a silent proxy has not opened the tunnel", async () => {
    const held = new Set<Socket>();
    const silent: TcpServer = createTcpServer((socket) => void held.add(socket.on("error", () => undefined)));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      vi.stubEnv("HTTPS_PROXY", `http://127.0.0.1:${(silent.address() as AddressInfo).port}`);
      const error = await rejection(httpRequest("https://registry.mirrorbot.test/v2/", { method: "HEAD", headers: {}, timeoutMs: 300, followRedirects: true }));
      expect([error.name, error.message]).toEqual(["TimeoutError", "no answer within the deadline"]);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("still verifies the registry's certificate inside the tunnel", async () => {
    vi.stubEnv("HTTPS_PROXY", proxy.url);
    const error = await rejection(httpRequest("https://registry.mirrorbot.test/v2/", { method: "GET", headers: {}, timeoutMs: 5_000, followRedirects: true }));
    expect([error.code, proxyOf(error)]).toEqual(["DEPTH_ZERO_SELF_SIGNED_CERT", proxy.url.replace(/\/\/.*@/, "//")]);
  });

  it("fails a refused tunnel with the proxy's answer, as a permanent registry error", async () => {
    vi.stubEnv("HTTPS_PROXY", refusing.url);
    const client = new RegistryClient({ registry: "registry.mirrorbot.test" });
    const error = await rejection(client.headManifest("library/nginx", "1.26"));
    expect(error.message).toBe(`cannot reach registry.mirrorbot.test: proxy ${refusing.url} refused a tunnel to registry.mirrorbot.test:443: HTTP 403`);
    expect(error.transient).toBe(false);
  });
});
