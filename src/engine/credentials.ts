import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { CredentialsConfig } from "../domain/config.js";
import { z } from "zod";
import { authKey } from "./auth-file.js";
import { loadExeca } from "./skopeo.js";

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

/** How credential helpers run; tests put a fake helper on PATH. */
export interface HelperOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/**
 * Look a registry up in existing docker/containers auth files, as docker does: a helper named
 * for the registry in `credHelpers`, else the `credsStore` helper, else an inline `auth`.
 * What is found goes into mirrorbot's own auth file, which skopeo then reads instead of these.
 */
export async function credentialsFromAuthFiles(
  registry: string,
  files: string[] = existingAuthFiles(),
  options: HelperOptions = {},
): Promise<RegistryCredentials | null> {
  const hub = authKey(registry) === "docker.io";
  const keys = hub ? ["docker.io", "index.docker.io", "https://index.docker.io/v1/", "registry-1.docker.io"] : [registry, `https://${registry}`, `http://${registry}`];
  for (const file of files) {
    let parsed: AuthFileContents;
    try {
      parsed = authFileSchema.parse(JSON.parse(await readFile(file, "utf8")));
    } catch {
      continue; // absent, unreadable or foreign files are normal: most machines have none
    }
    const helper = keys.map((k) => parsed.credHelpers?.[k]).find((h) => h !== undefined) ?? parsed.credsStore;
    if (helper !== undefined && helper !== "") {
      // Docker stores Docker Hub logins under its v1 URL; every other registry by host.
      const found = await fromHelper(helper, hub ? "https://index.docker.io/v1/" : registry, options);
      if (found) return { registry, ...found };
    }
    const auths = parsed.auths ?? {};
    for (const key of keys) {
      const auth = auths[key]?.auth;
      if (auth === undefined || auth === "") continue;
      const decoded = Buffer.from(auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon <= 0) continue;
      return { registry, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
  }
  return null;
}

// Only the fields read here; anything else in the file is left alone (loose objects), and an
// odd value is ignored rather than costing the other logins in the file.
const authFileSchema = z.looseObject({
  auths: z
    .record(z.string(), z.looseObject({ auth: z.string().optional().catch(undefined).describe("base64 of user:password") }).catch({}))
    .optional()
    .catch(undefined)
    .describe("inline logins by registry"),
  credHelpers: z.record(z.string(), z.string().catch("")).optional().catch(undefined).describe("credential helper name by registry"),
  credsStore: z.string().optional().catch(undefined).describe("credential helper for every other registry"),
});
type AuthFileContents = z.infer<typeof authFileSchema>;

const helperAnswerSchema = z.object({
  Username: z.string().min(1).describe('the login, or "<token>" for an identity token'),
  Secret: z.string().describe("the password or token"),
});

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Ask `docker-credential-<name> get` for a server's login. Null when the helper is missing,
 * has nothing for the server, or holds an identity token (not a password skopeo can use).
 */
async function fromHelper(name: string, server: string, options: HelperOptions): Promise<{ username: string; password: string } | null> {
  if (!HELPER_NAME.test(name)) return null; // a name from a file must not become a path
  const { execa } = await loadExeca();
  const result = await execa(`docker-credential-${name}`, ["get"], {
    input: server,
    reject: false,
    timeout: options.timeoutMs ?? 10_000,
    ...(options.env ? { env: options.env, extendEnv: false } : {}),
  });
  if (result.exitCode !== 0) return null;
  try {
    const answer = helperAnswerSchema.parse(JSON.parse(String(result.stdout)));
    return answer.Username === "<token>" ? null : { username: answer.Username, password: answer.Secret };
  } catch {
    return null;
  }
}
