/**
 * Tag listing for commands that only read sources (`mirrorbot plan`): one client per source
 * registry with the credentials `sync` would use for it (`sources[]` variables first, then
 * existing docker/containers auth files), and never the targets' credentials, which planning
 * does not need.
 */
import type { Config } from "../domain/config.js";
import { authKey } from "./auth-file.js";
import { credentialsFromAuthFiles, credentialsFromEnv } from "./credentials.js";
import { RegistryClient } from "./registry-client.js";
import { TagLister } from "./tag-list.js";

/**
 * A TagLister over the given source registries. Throws CredentialsError when `sources[]`
 * names variables that are not set, as `sync` does.
 */
export async function sourceTagLister(config: Config, registries: Iterable<string>, env: NodeJS.ProcessEnv = process.env): Promise<TagLister> {
  const clients = new Map<string, RegistryClient>();
  for (const registry of registries) {
    if (clients.has(registry)) continue;
    // Docker Hub has several names (docker.io, index.docker.io, registry-1.docker.io).
    const i = config.sources.findIndex((s) => authKey(s.registry).toLowerCase() === authKey(registry).toLowerCase());
    const source = config.sources[i];
    const credentials = source?.credentials ? credentialsFromEnv(registry, source.credentials, `sources[${i}] "${source.registry}"`, env) : await credentialsFromAuthFiles(registry);
    clients.set(registry, new RegistryClient({ registry, tlsVerify: source?.tlsVerify ?? true, credentials, userAgent: "mirrorbot" }));
  }
  return new TagLister((registry) => {
    const client = clients.get(registry);
    if (!client) throw new Error(`internal: registry ${registry} was not opened for listing`);
    return client;
  });
}
