/**
 * A bearer token server on 127.0.0.1 for distribution's `auth.token` mode, the scheme Docker
 * Hub, GHCR, Harbor and most cloud registries use: the registry answers 401 with
 * `WWW-Authenticate: Bearer realm=...,service=...,scope=...`, the client fetches a token here
 * (basic credentials, or none for anonymous pulls), and the registry checks the token's
 * signature against `rootcertbundle`.
 *
 * Tokens are JWTs signed RS256 with a fresh key; the header's `x5c` carries the self-signed
 * certificate that the registry's root bundle holds. The key and certificate come from the
 * `openssl` command (node:crypto cannot write certificates). A hand-written JWT (a dozen lines)
 * rather than a library: the claims distribution checks are few and fixed.
 *
 * ```ts
 * const tokens = await startTokenServer({ users: { mirror: "pw" } });
 * const registry = await startRegistry({ token: tokens.registryAuth });
 * ...
 * await registry.stop(); await tokens.close();
 * ```
 */
import { createPrivateKey, createSign, randomUUID, X509Certificate } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

/** What `startRegistry({ token })` needs to put under `auth.token`. */
export interface TokenAuthConfig {
  realm: string;
  service: string;
  issuer: string;
  /** PEM file holding the certificate tokens are signed under. */
  rootCertBundle: string;
}

/** Options for startTokenServer. */
export interface TokenServerOptions {
  /** Accounts and their passwords; a token request with other credentials gets 401. */
  users: Record<string, string>;
  /** Actions an anonymous client is granted (default: none). */
  anonymous?: ReadonlyArray<"pull">;
  /** Lifetime of a token in seconds (default 300). */
  expiresIn?: number;
}

/** One token request the server answered. */
export interface TokenRequest {
  /** The authenticated account, or null for anonymous. */
  account: string | null;
  /** The `scope` parameters as asked. */
  scopes: string[];
  /** The HTTP status answered: 200, or 401 for bad credentials. */
  status: number;
  /** The access granted: "repository:name:actions" per scope (actions comma-joined; empty when none). */
  granted: string[];
}

/** A running token server. */
export interface TokenServer {
  /** The realm URL, ".../token". */
  realm: string;
  registryAuth: TokenAuthConfig;
  requests: TokenRequest[];
  /** Stop listening and remove the key material. */
  close(): Promise<void>;
}

const SERVICE = "mirrorbot-test-registry";
const ISSUER = "mirrorbot-test-token-issuer";

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

function credentials(req: IncomingMessage): { user: string; password: string } | null {
  const header = req.headers.authorization ?? "";
  if (!header.toLowerCase().startsWith("basic ")) return null;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Parse "repository:a/b:pull,push" (the name may hold colons only before the last one). */
function parseScope(scope: string): { type: string; name: string; actions: string[] } | null {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first < 0 || last <= first) return null;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(",").filter((a) => a !== "") };
}

/** Start a token server with a fresh RSA key and self-signed certificate. */
export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const dir = await mkdtemp(join(tmpdir(), "mirrorbot-token-"));
  const keyPath = join(dir, "key.pem");
  const certPath = join(dir, "cert.pem");
  try {
    await execa(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyPath, "-out", certPath, "-days", "2", "-subj", "/CN=mirrorbot-test-token-signer"],
      { stdin: "ignore", timeout: 60_000 },
    );
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const key = createPrivateKey(await readFile(keyPath));
  const cert = new X509Certificate(await readFile(certPath));
  const x5c = [cert.raw.toString("base64")];
  const expiresIn = options.expiresIn ?? 300;
  const requests: TokenRequest[] = [];
  const sockets = new Set<Socket>();

  function sign(account: string | null, access: Array<{ type: string; name: string; actions: string[] }>): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: "JWT", alg: "RS256", x5c };
    const claims = { iss: ISSUER, sub: account ?? "", aud: SERVICE, exp: now + expiresIn, nbf: now - 10, iat: now, jti: randomUUID(), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign("RSA-SHA256").update(input).sign(key);
    return `${input}.${b64url(signature)}`;
  }

  const server = createServer((req, res) => {
    req.resume();
    const url = new URL(req.url ?? "/", "http://token");
    if (url.pathname !== "/token") return void res.writeHead(404).end();
    const scopes = url.searchParams.getAll("scope");
    const given = credentials(req);
    const known = given !== null && Object.hasOwn(options.users, given.user) && options.users[given.user] === given.password;
    if (given !== null && !known) {
      requests.push({ account: given.user, scopes, status: 401, granted: [] });
      res.writeHead(401, { "content-type": "application/json", "www-authenticate": 'Basic realm="mirrorbot-test-token"' });
      return void res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }));
    }
    const account = known ? given.user : null;
    const allowed = (action: string) => account !== null || (options.anonymous ?? []).includes(action as "pull");
    const access = scopes.flatMap((s) => {
      const parsed = parseScope(s);
      return parsed ? [{ ...parsed, actions: parsed.actions.filter(allowed) }] : [];
    });
    requests.push({ account, scopes, status: 200, granted: access.map((a) => `${a.type}:${a.name}:${a.actions.join(",")}`) });
    const token = sign(account, access);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ token, access_token: token, expires_in: expiresIn, issued_at: new Date().toISOString() }));
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  let closing: Promise<void> | null = null;
  return {
    realm,
    registryAuth: { realm, service: SERVICE, issuer: ISSUER, rootCertBundle: certPath },
    requests,
    close() {
      closing ??= (async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await rm(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
