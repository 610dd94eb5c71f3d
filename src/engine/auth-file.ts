/**
 * skopeo reads credentials from a containers-auth.json file. Passing them with `--creds`
 * would put them on the command line, where `ps` and error messages can show them.
 */
import { rmSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DOCKER_HUB, isDockerHub } from "../domain/reference.js";
import { ownedPrefix } from "./leftovers.js";

/** Credentials for one registry. */
export interface AuthEntry {
  /** "host[:port]", e.g. "docker.io" or "127.0.0.1:5000". */
  registry: string;
  username: string;
  password: string;
}

/** An auth file on disk; `dispose` deletes it and its private directory. */
export interface AuthFile {
  path: string;
  dispose(): Promise<void>;
  /** Delete it synchronously, from a signal handler, where no promise will settle. */
  disposeNow(): void;
}

/**
 * The key containers-auth.json uses for a registry: Docker Hub under "docker.io", others as given.
 * @example authKey("registry-1.docker.io") // "docker.io"
 */
export function authKey(registry: string): string {
  return isDockerHub(registry) ? DOCKER_HUB : registry.trim();
}

/** Render the containers-auth.json text for these entries; throws when one registry gets two different logins. */
export function renderAuthFile(entries: readonly AuthEntry[]): string {
  const auths: Record<string, { auth: string }> = {};
  for (const e of entries) {
    const key = authKey(e.registry);
    if (key === "" || /[\s/]/.test(key)) throw new Error(`invalid registry for credentials: "${e.registry}"`);
    const auth = Buffer.from(`${e.username}:${e.password}`, "utf8").toString("base64");
    const seen = auths[key];
    if (seen && seen.auth !== auth) throw new Error(`two different credentials given for registry ${key}`);
    auths[key] = { auth };
  }
  return `${JSON.stringify({ auths }, null, 2)}\n`;
}

/** Write a containers-auth.json (mode 0600) into a fresh private temp dir (mode 0700). */
export async function writeAuthFile(entries: readonly AuthEntry[]): Promise<AuthFile> {
  const text = renderAuthFile(entries);
  // Named with our PID, so the next run removes it if this process is killed before it can.
  const dir = await mkdtemp(join(tmpdir(), ownedPrefix("mirrorbot-auth-")));
  let disposed: Promise<void> | null = null;
  const dispose = () => (disposed ??= rm(dir, { recursive: true, force: true }));
  try {
    await chmod(dir, 0o700);
    const path = join(dir, "auth.json");
    // The mode applies at creation, so the secret is never readable by others, not even briefly.
    await writeFile(path, text, { mode: 0o600, flag: "wx" });
    return { path, dispose, disposeNow: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (err) {
    await dispose();
    throw err;
  }
}
