/**
 * Keep-alive agents for requests through an http:// proxy: an HTTPS registry is reached
 * through a CONNECT tunnel with TLS inside it (the proxy sees only the host name), a plain-HTTP
 * one by sending the proxy the absolute URL. One agent per proxy, so tunnels are reused.
 */
import http from "node:http";
import https from "node:https";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import { ProxyError, redactUserinfo } from "./proxy.js";

/** A CONNECT that does not complete in this time fails the request that needed it. */
const CONNECT_TIMEOUT_MS = 30_000;

/** The Proxy-Authorization header for a proxy URL carrying a user name, else nothing. */
export function proxyAuthorization(proxy: URL): Record<string, string> {
  if (proxy.username === "" && proxy.password === "") return {};
  const userinfo = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { "proxy-authorization": `Basic ${Buffer.from(userinfo).toString("base64")}` };
}

/** Mark a network error as one met on the way to or through `proxy`, so messages name it. */
export function throughProxy(err: Error, proxy: URL): Error {
  if (!(err instanceof ProxyError)) Object.assign(err, { proxy: proxyName(proxy) });
  return err;
}

/** Where a proxy listens, without its credentials, for messages. */
export function proxyName(proxy: URL): string {
  return redactUserinfo(`${proxy.protocol}//${proxy.host}`);
}

class TunnelAgent extends https.Agent {
  constructor(
    private readonly proxy: URL,
    options: https.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(options: tls.ConnectionOptions & { host?: string; port?: number }, callback: (err: Error | null, socket?: Duplex) => void): undefined {
    const target = `${options.host}:${options.port ?? 443}`;
    const connect = http.request({
      host: this.proxy.hostname,
      port: Number(this.proxy.port || 80),
      method: "CONNECT",
      path: target,
      headers: { host: target, ...proxyAuthorization(this.proxy) },
      agent: false,
      timeout: CONNECT_TIMEOUT_MS,
    });
    connect.once("connect", (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        const status = res.statusCode ?? 0;
        callback(new ProxyError(`proxy ${proxyName(this.proxy)} refused a tunnel to ${target}: HTTP ${status}`, status >= 500 || status === 429));
        return;
      }
      callback(null, tls.connect({ ...options, socket, servername: options.servername ?? options.host }));
    });
    connect.once("timeout", () => connect.destroy(new ProxyError(`proxy ${proxyName(this.proxy)} did not open a tunnel to ${target} within ${CONNECT_TIMEOUT_MS / 1000} s`, true)));
    connect.once("error", (err) => callback(throughProxy(err, this.proxy)));
    connect.end();
    return undefined;
  }
}

/** An https agent that reaches every host through `proxy` with CONNECT. */
export function tunnelAgent(proxy: URL, options: https.AgentOptions = {}): https.Agent {
  return new TunnelAgent(proxy, { keepAlive: true, maxSockets: 64, ...options });
}
