import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { CredentialsConfig } from "../domain/config.js";
import { authKey } from "./auth-file.js";

/** A username and password for one registry host, resolved from the environment or an auth file. */
export interface RegistryCredentials {
  registry: string;
  username: string;
  password: string;
}

/** Raised before any work starts, so a missing secret is a usage error (exit 2), not N failed tasks. */
export class CredentialsError extends Error {
  override name = "CredentialsError";
}

/**
 * Read the credentials a config entry names from the environment.
 * @example fromEnv("registry.cn-hangzhou.aliyuncs.com", { usernameEnv: "ALIYUN_USERNAME", passwordEnv: "ALIYUN_PASSWORD" }, 'targets[0] "aliyun"')
 */
export function credentialsFromEnv(
  registry: string,
  config: CredentialsConfig,
  where: string,
  env: NodeJS.ProcessEnv = process.env,
): RegistryCredentials {
  const username = env[config.usernameEnv];
  const password = env[config.passwordEnv];
  const missing = [
    !username ? `${config.usernameEnv} (credentials.usernameEnv)` : null,
    !password ? `${config.passwordEnv} (credentials.passwordEnv)` : null,
  ].filter(Boolean);
  if (missing.length > 0) {
    const verb = missing.length > 1 ? "variables" : "variable";
    throw new CredentialsError(`${where}: environment ${verb} ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set`);
  }
  return { registry, username: username!, password: password! };
}

/** The auth files docker and podman/skopeo already use, in the order skopeo itself reads them. */
export function existingAuthFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) files.push(join(env.XDG_RUNTIME_DIR, "containers", "auth.json"));
  files.push(join(env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "containers", "auth.json"));
  files.push(join(env.DOCKER_CONFIG ?? join(homedir(), ".docker"), "config.json"));
  return files;
}

/**
 * Look a registry up in existing docker/containers auth files (inline `auth` entries only;
 * credential helpers are left to skopeo, which reads the same files itself).
 */
export async function credentialsFromAuthFiles(
  registry: string,
  files: string[] = existingAuthFiles(),
): Promise<RegistryCredentials | null> {
  const keys = authKey(registry) === "docker.io" ? ["docker.io", "index.docker.io", "https://index.docker.io/v1/", "registry-1.docker.io"] : [registry, `https://${registry}`, `http://${registry}`];
  for (const file of files) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, "utf8"));
    } catch {
      continue; // absent or unreadable files are normal: most machines have none
    }
    const auths = (parsed as { auths?: Record<string, { auth?: unknown }> }).auths ?? {};
    for (const key of keys) {
      const auth = auths[key]?.auth;
      if (typeof auth !== "string" || auth === "") continue;
      const decoded = Buffer.from(auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon <= 0) continue;
      return { registry, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
  }
  return null;
}
