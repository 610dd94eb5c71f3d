/**
 * Which proxy, if any, a registry request goes through: HTTPS_PROXY, HTTP_PROXY and NO_PROXY
 * (or their lower-case forms) read with the rules of Go's net/http, which skopeo follows, so
 * mirrorbot's own HEADs and skopeo's copies take the same path.
 */
import { isIP } from "node:net";

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
  const setting = env[name] || env[name.toLowerCase()];
  if (!setting) return null;
  const host = hostOf(url);
  // Go never proxies localhost or a loopback address, whatever NO_PROXY says.
  if (host === "localhost" || isLoopback(host)) return null;
  const port = url.port || (https ? "443" : "80");
  if (bypassed(host, port, env.NO_PROXY ?? env.no_proxy ?? "")) return null;
  return parseProxy(setting, env[name] ? name : name.toLowerCase());
}

/** The problem with the proxy variables, for a run to stop on before it starts; null when usable. */
export function proxySettingsProblem(env: NodeJS.ProcessEnv = process.env): string | null {
  for (const name of ["HTTPS_PROXY", "HTTP_PROXY"]) {
    const variable = env[name] ? name : name.toLowerCase();
    const setting = env[variable];
    if (!setting) continue;
    try {
      parseProxy(setting, variable);
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
  } catch {
    throw new ProxyError(`${variable} is not a URL: ${redactUserinfo(setting)}`, false);
  }
  if (proxy.protocol !== "http:") {
    throw new ProxyError(`${variable}: mirrorbot's registry requests support http:// proxies, not ${proxy.protocol}//`, false);
  }
  return proxy;
}

/** NO_PROXY: comma-separated "*", IP addresses, CIDR blocks and host names, each with an optional port. */
function bypassed(host: string, port: string, noProxy: string): boolean {
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return true;
    if (entry.includes("/")) {
      if (inCidr(host, entry)) return true;
      continue;
    }
    const { name, port: entryPort } = splitHostPort(entry);
    if (entryPort !== "" && entryPort !== port) continue;
    if (isIP(name) !== 0) {
      if (name === host) return true;
      continue;
    }
    // "example.com" matches it and its subdomains; ".example.com" and "*.example.com" only subdomains.
    const suffix = name.startsWith("*.") ? name.slice(1) : name.startsWith(".") ? name : `.${name}`;
    if (host.endsWith(suffix) || (!name.startsWith(".") && !name.startsWith("*.") && host === name)) return true;
  }
  return false;
}

function splitHostPort(entry: string): { name: string; port: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { name: bracketed[1]!, port: bracketed[2] ?? "" };
  if (isIP(entry) === 6) return { name: entry, port: "" };
  const m = /^(.*):(\d+)$/.exec(entry);
  return m ? { name: m[1]!, port: m[2]! } : { name: entry, port: "" };
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
}

function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1" || host === "0:0:0:0:0:0:0:1";
  return false;
}

function inCidr(host: string, cidr: string): boolean {
  const [base = "", bitsText = ""] = cidr.split("/");
  const bits = Number(bitsText);
  if (isIP(host) !== 4 || isIP(base) !== 4 || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const toInt = (ip: string) => ip.split(".").reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (toInt(host) & mask) === (toInt(base) & mask);
}

/** The proxy URL with any user name and password replaced, for messages. */
export function redactUserinfo(text: string): string {
  return text.replace(/\/\/[^/@\s]*@/, "//***@");
}
