/**
 * Which proxy, if any, a registry request goes through: HTTPS_PROXY, HTTP_PROXY and NO_PROXY
 * (or their lower-case forms) read with the rules of Go's net/http (golang.org/x/net/http/
 * httpproxy), which skopeo follows, so mirrorbot's own HEADs and skopeo's copies take the
 * same path.
 */
import { BlockList, isIP } from "node:net";

/** A proxy setting mirrorbot cannot use (names the variable), or a proxy that refused a tunnel. */
export class ProxyError extends Error {
  override readonly name = "ProxyError";
  constructor(
    message: string,
    /** True when trying again may help (the proxy timed out or its upstream failed). */
    readonly transient: boolean,
  ) {
    super(message);
  }
}

/**
 * The proxy for `url`, or null to connect directly.
 * @example proxyFor(new URL("https://registry-1.docker.io/v2/"), { HTTPS_PROXY: "127.0.0.1:7890" })
 *   // URL "http://127.0.0.1:7890" (no scheme means http://, as in Go)
 * @example proxyFor(new URL("https://harbor.corp/v2/"), { HTTPS_PROXY: "http://p:3128", NO_PROXY: ".corp" })
 *   // null: ".corp" matches every host under corp (and "corp" would match corp itself too)
 */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv = process.env): URL | null {
  const https = url.protocol === "https:";
  const name = https ? "HTTPS_PROXY" : "HTTP_PROXY";
  // As Go's getEnvAny: the first of the two names that is set and not empty.
  const variable = env[name] ? name : name.toLowerCase();
  const setting = env[variable];
  if (!setting) return null;
  const host = hostOf(url);
  // Go never proxies localhost or a loopback address, whatever NO_PROXY says.
  if (host === "localhost" || isLoopback(host)) return null;
  const port = url.port || (https ? "443" : "80");
  if (bypassed(host, port, env.NO_PROXY || env.no_proxy || "")) return null;
  return parseProxy(setting, variable);
}

/** The first problem with the proxy settings these registry URLs would use; null when there is none. */
export function proxySettingsProblem(urls: Iterable<string>, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const url of urls) {
    try {
      proxyFor(new URL(url), env);
    } catch (err) {
      if (err instanceof ProxyError) return err.message;
      throw err;
    }
  }
  return null;
}

function parseProxy(setting: string, variable: string): URL {
  let proxy: URL;
  try {
    proxy = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(setting) ? setting : `http://${setting}`);
    decodeURIComponent(proxy.username);
    decodeURIComponent(proxy.password);
  } catch {
    // Never echo the value: it may hold a password, and a broken URL cannot be redacted reliably.
    throw new ProxyError(`${variable} is not a valid proxy URL (expected http://[user:password@]host:port, with special characters in the password percent-encoded)`, false);
  }
  if (proxy.protocol !== "http:") {
    throw new ProxyError(`${variable}: mirrorbot's registry requests support http:// proxies, not ${proxy.protocol}//`, false);
  }
  return proxy;
}

/** NO_PROXY: comma-separated "*", IP addresses, CIDR blocks and host names, each with an optional port. */
function bypassed(host: string, port: string, noProxy: string): boolean {
  const addresses = new BlockList();
  const family = isIP(host);
  // Go splits on commas only; an entry with a space in it matches nothing.
  for (const raw of noProxy.split(",")) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return true;
    if (entry.includes("/")) {
      addSubnet(addresses, entry);
      continue;
    }
    const { name, port: entryPort } = splitHostPort(entry);
    if (entryPort !== "" && entryPort !== port) continue;
    if (isIP(name) !== 0) {
      addresses.addAddress(name, isIP(name) === 6 ? "ipv6" : "ipv4");
      continue;
    }
    // "example.com" matches it and its subdomains; ".example.com" and "*.example.com" only subdomains.
    const subdomainsOnly = name.startsWith(".") || name.startsWith("*.");
    const suffix = name.startsWith("*.") ? name.slice(1) : subdomainsOnly ? name : `.${name}`;
    if (host.endsWith(suffix) || (!subdomainsOnly && host === name)) return true;
  }
  return family !== 0 && addresses.check(host, family === 6 ? "ipv6" : "ipv4");
}

function addSubnet(list: BlockList, cidr: string): void {
  const [base = "", bits = ""] = cidr.split("/");
  const family = isIP(base);
  const prefix = Number(bits);
  if (family === 0 || !/^\d+$/.test(bits) || prefix > (family === 6 ? 128 : 32)) return;
  list.addSubnet(base, prefix, family === 6 ? "ipv6" : "ipv4");
}

function splitHostPort(entry: string): { name: string; port: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d*))?$/.exec(entry);
  if (bracketed) return { name: bracketed[1]!, port: bracketed[2] ?? "" };
  if (isIP(entry) === 6) return { name: entry, port: "" };
  const m = /^(.*):(\d*)$/.exec(entry);
  return m ? { name: m[1]!, port: m[2]! } : { name: entry, port: "" };
}

function hostOf(url: URL): string {
  return bareHostname(url).toLowerCase();
}

/** A URL's host name as a socket wants it: an IPv6 address without its brackets. */
export function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "");
}

// Go's IP.IsLoopback: 127.0.0.0/8, ::1, and 127.0.0.0/8 written as an IPv4-mapped IPv6 address.
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");
LOOPBACK.addSubnet("::ffff:7f00:0", 104, "ipv6");

function isLoopback(host: string): boolean {
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 6 ? "ipv6" : "ipv4");
}
