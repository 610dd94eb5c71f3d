import type { Config } from "../domain/config.js";
import { type AuthFile, authKey, writeAuthFile } from "./auth-file.js";
import { CredentialsError, credentialsFromAuthFiles, credentialsFromEnv, type RegistryCredentials } from "./credentials.js";
import { RegistryClient } from "./registry-client.js";

/** How the engine reaches one registry during a run. */
export interface RegistryAccess {
  registry: string;
  tlsVerify: boolean;
  /** Environment variables the credentials came from, for error messages; never the values. */
  credentialSource: string | null;
  client: RegistryClient;
}

/**
 * Every registry a run talks to, with one keep-alive client each and one auth file (mode 0600)
 * that skopeo reads for all of them. `dispose()` deletes the auth file.
 */
export class Registries {
  private constructor(
    private readonly byHost: Map<string, RegistryAccess>,
    private readonly auth: AuthFile | null,
    /** Passwords in use, to scrub from any text the run prints. */
    readonly secrets: string[],
  ) {}

  /**
   * Resolve credentials (config env vars first, then existing docker/containers auth files)
   * for the source and target registries named, and open clients.
   * Throws CredentialsError when a configured variable is unset.
   */
  static async open(
    config: Config,
    sourceRegistries: Iterable<string>,
    env: NodeJS.ProcessEnv = process.env,
    /** Whether skopeo will run (it reads credentials from a file); default: when a target has `copier: skopeo`. */
    options: { skopeo?: boolean } = {},
  ): Promise<Registries> {
    const wanted = new Map<string, { tlsVerify: boolean; creds: RegistryCredentials | null; from: string | null }>();
    for (const [i, t] of config.targets.entries()) {
      const creds = t.credentials ? credentialsFromEnv(t.registry, t.credentials, `targets[${i}] "${t.name}"`, env) : null;
      const from = t.credentials ? `${t.credentials.usernameEnv}/${t.credentials.passwordEnv}` : null;
      const earlier = wanted.get(t.registry);
      // skopeo's auth file holds one login per registry host, so two logins for one host
      // would silently push with the wrong one.
      if (earlier && (earlier.from !== from || earlier.tlsVerify !== t.tlsVerify)) {
        throw new CredentialsError(
          `targets[${i}] "${t.name}": registry ${t.registry} is already a target with ${earlier.from ? `credentials ${earlier.from}` : "no credentials"}${earlier.tlsVerify !== t.tlsVerify ? " and another tlsVerify" : ""}; use one login per registry (e.g. one robot account for every project)`,
        );
      }
      wanted.set(t.registry, { tlsVerify: t.tlsVerify, creds, from });
    }
    for (const registry of sourceRegistries) {
      if (wanted.has(registry)) continue;
      // Docker Hub has several names (docker.io, index.docker.io, registry-1.docker.io).
      const i = config.sources.findIndex((s) => authKey(s.registry).toLowerCase() === authKey(registry).toLowerCase());
      const s = config.sources[i];
      const creds = s?.credentials ? credentialsFromEnv(registry, s.credentials, `sources[${i}] "${s.registry}"`, env) : null;
      const from = s?.credentials ? `${s.credentials.usernameEnv}/${s.credentials.passwordEnv}` : null;
      wanted.set(registry, { tlsVerify: s?.tlsVerify ?? true, creds, from });
    }
    for (const [registry, w] of wanted) {
      if (w.creds) continue;
      w.creds = await credentialsFromAuthFiles(registry);
      if (w.creds) w.from = "an existing auth file";
    }
    const creds = [...wanted.values()].flatMap((w) => (w.creds ? [w.creds] : []));
    // The native copier keeps credentials in memory: no file to leave behind if we are killed.
    const skopeo = options.skopeo ?? config.targets.some((t) => t.copier === "skopeo");
    const auth = skopeo && creds.length > 0 ? await writeAuthFile(creds) : null;
    const byHost = new Map<string, RegistryAccess>();
    for (const [registry, w] of wanted) {
      const client = new RegistryClient({ registry, tlsVerify: w.tlsVerify, credentials: w.creds, userAgent: "mirrorbot" });
      byHost.set(registry, { registry, tlsVerify: w.tlsVerify, credentialSource: w.from, client });
    }
    // Every form a credential could be echoed in: raw, and as the basic-auth base64.
    const secrets = creds.flatMap((c) => [c.password, Buffer.from(`${c.username}:${c.password}`).toString("base64")]);
    return new Registries(byHost, auth, secrets);
  }

  /** Access for a registry named in the config or the image list. */
  get(registry: string): RegistryAccess {
    const access = this.byHost.get(registry);
    if (!access) throw new Error(`internal: registry ${registry} was not opened for this run`);
    return access;
  }

  /** The base URL of every registry in the run, e.g. "https://registry-1.docker.io". */
  endpoints(): string[] {
    return [...this.byHost.values()].map((a) => a.client.baseUrl);
  }

  /** Path of the auth file to pass to skopeo, if any credentials are in use. */
  get authFile(): string | undefined {
    return this.auth?.path;
  }

  /** Sum of requests every client sent, by kind. */
  stats(): Record<string, number> {
    const total: Record<string, number> = {};
    for (const { client } of this.byHost.values()) {
      for (const [k, v] of Object.entries(client.stats)) total[k] = (total[k] ?? 0) + v;
    }
    return total;
  }

  /** Delete the auth file. */
  async dispose(): Promise<void> {
    await this.auth?.dispose();
  }

  /** Delete the auth file synchronously (when the process is being interrupted). */
  disposeNow(): void {
    this.auth?.disposeNow();
  }
}
