/**
 * A forward HTTP proxy on 127.0.0.1 for tests, like the one a user sets in HTTPS_PROXY: it
 * answers absolute-URL requests (plain HTTP through a proxy) and CONNECT (HTTPS tunnels), and
 * only for the host names it was given, each mapped to a server on 127.0.0.1. Those names
 * resolve nowhere else, so a request that reaches its server went through this proxy.
 */
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";

/** A request the proxy saw. */
export interface ProxiedRequest {
  /** "CONNECT" or the HTTP method of a forwarded request. */
  method: string;
  /** "host:port" of a CONNECT, or the absolute URL of a forwarded request. */
  target: string;
  proxyAuthorization: string | null;
  userAgent: string | null;
}

/** A running proxy; `url` is what HTTP(S)_PROXY should say (with the credentials, if required). */
export interface ForwardProxy {
  url: string;
  seen: ProxiedRequest[];
  /** TCP connections clients opened to the proxy so far. */
  connections(): number;
  close(): Promise<void>;
}

export interface ForwardProxyOptions {
  /** "name:port" the clients ask for -> "127.0.0.1:port" it is served at. */
  routes: Record<string, string>;
  /** Require this user and password (407 otherwise); they go into `url`. */
  credentials?: { username: string; password: string };
  /** Answer every CONNECT with this status instead of opening a tunnel. */
  refuseConnect?: number;
}

/** Start the proxy; close it when done. */
export async function startForwardProxy(options: ForwardProxyOptions): Promise<ForwardProxy> {
  const seen: ProxiedRequest[] = [];
  const expected = options.credentials ? `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString("base64")}` : null;
  const allowed = (req: IncomingMessage) => expected === null || req.headers["proxy-authorization"] === expected;
  const record = (req: IncomingMessage, target: string) =>
    seen.push({ method: req.method ?? "", target, proxyAuthorization: req.headers["proxy-authorization"] ?? null, userAgent: req.headers["user-agent"] ?? null });
  const sockets = new Set<Socket>();
  let connections = 0;

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://invalid");
    record(req, req.url ?? "");
    const upstream = options.routes[url.host];
    if (!allowed(req)) return void res.writeHead(407, { "proxy-authenticate": 'Basic realm="test"' }).end();
    if (!upstream || !/^https?:\/\//.test(req.url ?? "")) return void res.writeHead(502).end("no route");
    const [host, port] = upstream.split(":");
    const headers = { ...req.headers };
    delete headers["proxy-authorization"];
    delete headers["proxy-connection"];
    const up = request({ host, port: Number(port), method: req.method, path: `${url.pathname}${url.search}`, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    record(req, req.url ?? "");
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    const upstream = options.routes[req.url ?? ""];
    const refuse = !allowed(req) ? 407 : (options.refuseConnect ?? (upstream ? 0 : 502));
    if (refuse !== 0 || !upstream) return void client.end(`HTTP/1.1 ${refuse} Refused\r\ncontent-length: 0\r\n\r\n`);
    const [host, port] = upstream.split(":");
    const up = connect(Number(port), host!, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    sockets.add(up);
    up.on("close", () => sockets.delete(up));
    up.on("error", () => client.destroy());
  });
  server.on("connection", (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const userinfo = options.credentials ? `${encodeURIComponent(options.credentials.username)}:${encodeURIComponent(options.credentials.password)}@` : "";
  return {
    url: `http://${userinfo}127.0.0.1:${port}`,
    seen,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
