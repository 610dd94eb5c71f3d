/**
 * Keep-alive agents for requests through an http:// proxy: an HTTPS registry is reached
 * through a CONNECT tunnel with TLS inside it (the proxy sees only the host name), a plain-HTTP
 * one by sending the proxy the absolute URL. One agent per proxy, so tunnels are reused.
 */
import http from "node:http";
import https from "node:https";
import type { Duplex } from "node:stream";
import { isIP } from "node:net";
import tls from "node:tls";
import { bareHostname, ProxyError } from "./proxy.js";

/** A CONNECT that has not completed in this time fails. */
const CONNECT_TIMEOUT_MS = 30_000;
/** How long a CONNECT may outlive the request that asked for it (which fails at its own deadline). */
const AFTER_DEADLINE_MS = 1_000;

/** Request options the tunnel reads: when the request that needs a tunnel gives up. */
export interface TunnelRequestOptions {
  /** Epoch milliseconds. */
  tunnelDeadline?: number;
}

/** The Proxy-Authorization header for a proxy URL carrying a user name, else nothing. */
export function proxyAuthorization(proxy: URL): Record<string, string> {
  if (proxy.username === "" && proxy.password === "") return {};
  const userinfo = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { "proxy-authorization": `Basic ${Buffer.from(userinfo).toString("base64")}` };
}

/** Where a proxy listens, for messages: scheme, host and port, never the credentials. */
export function proxyName(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

/** Where to connect to reach the proxy. @example proxyAddress(new URL("http://[::1]:3128")) // { host: "::1", port: 3128 } */
export function proxyAddress(proxy: URL): { host: string; port: number } {
  return { host: bareHostname(proxy), port: Number(proxy.port || 80) };
}

const agents = new Map<string, { plain: http.Agent; tunnel: https.Agent }>();

/** The keep-alive agents of one proxy: plain-HTTP requests sent to it, and CONNECT tunnels for HTTPS. */
export function agentsFor(proxy: URL): { plain: http.Agent; tunnel: https.Agent } {
  let pair = agents.get(proxy.href);
  if (!pair) {
    pair = { plain: new http.Agent({ keepAlive: true, maxSockets: 64 }), tunnel: tunnelAgent(proxy) };
    agents.set(proxy.href, pair);
  }
  return pair;
}

const VIA = Symbol("mirrorbot.via-proxy");

/** Mark a network error as met on the way to or through `proxy`, so messages can name it. */
export function throughProxy(err: Error, proxy: URL): Error {
  if (!(err instanceof ProxyError)) Object.defineProperty(err, VIA, { value: proxyName(proxy) });
  return err;
}

/** The proxy a network error was met through (see throughProxy), or null. */
export function proxyOf(err: unknown): string | null {
  const via = err instanceof Error ? (err as Error & { [VIA]?: unknown })[VIA] : undefined;
  return typeof via === "string" ? via : null;
}

class TunnelAgent extends https.Agent {
  constructor(
    private readonly proxy: URL,
    options: https.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(
    options: tls.ConnectionOptions & TunnelRequestOptions & { host?: string; port?: number },
    callback: (err: Error | null, socket?: Duplex) => void,
  ): undefined {
    const host = options.host ?? "";
    const target = `${host.includes(":") ? `[${host}]` : host}:${options.port ?? 443}`;
    const connect = http.request({
      ...proxyAddress(this.proxy),
      method: "CONNECT",
      path: target,
      headers: { host: target, ...proxyAuthorization(this.proxy) },
      agent: false,
    });
    // An absolute limit: a proxy that trickles bytes must not hold the tunnel open forever.
    // The request itself reports its deadline; this only stops the CONNECT soon after.
    const waitMs = Math.max(0, Math.min(CONNECT_TIMEOUT_MS, (options.tunnelDeadline ?? Number.POSITIVE_INFINITY) + AFTER_DEADLINE_MS - Date.now()));
    const timer = setTimeout(
      () => connect.destroy(new ProxyError(`proxy ${proxyName(this.proxy)} did not open a tunnel to ${target} within ${(waitMs / 1000).toFixed(1)} s`, true)),
      waitMs,
    );
    connect.once("connect", (res, socket, head) => {
      clearTimeout(timer);
      if (res.statusCode !== 200) {
        socket.destroy();
        const status = res.statusCode ?? 0;
        callback(new ProxyError(`proxy ${proxyName(this.proxy)} refused a tunnel to ${target}: HTTP ${status}`, status >= 500 || status === 429));
        return;
      }
      if (head.length > 0) socket.unshift(head);
      // SNI carries names only; for an IP address the certificate is checked against the IP.
      callback(null, tls.connect({ ...options, socket, servername: options.servername ?? (isIP(host) ? "" : host) }));
    });
    connect.once("error", (err) => {
      clearTimeout(timer);
      callback(throughProxy(err, this.proxy));
    });
    connect.end();
    return undefined;
  }
}

/** An https agent that reaches every host through `proxy` with CONNECT. */
export function tunnelAgent(proxy: URL, options: https.AgentOptions = {}): https.Agent {
  return new TunnelAgent(proxy, { keepAlive: true, maxSockets: 64, ...options });
}
