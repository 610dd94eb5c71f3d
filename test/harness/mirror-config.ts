/**
 * The mirrorbot.yml the registry tests run with: one target on a local http registry (namespace
 * `mirror`, credentials from TARGET_USER / TARGET_PASSWORD) and local http sources.
 */

/** What varies between the tests' configs. */
export interface LocalConfig {
  /** Host the target is reached at (a fault proxy, or the registry itself). */
  targetHost: string;
  /** Source hosts, each with tlsVerify false (and credentials, when given). */
  sources: ReadonlyArray<{ host: string; credentials?: { usernameEnv: string; passwordEnv: string } }>;
  /** The target's name [local]. */
  name?: string;
  /** false: the target gets no credentials. */
  targetCredentials?: boolean;
  /** More keys of the target, e.g. "copier: skopeo". */
  targetYaml?: readonly string[];
  /** Top-level lines after the sources, e.g. an `engine:` line. */
  extra?: readonly string[];
}

/** The config text for `c`. */
export function localConfigYaml(c: LocalConfig): string {
  return [
    "targets:",
    `  - name: ${c.name ?? "local"}`,
    `    registry: "${c.targetHost}"`,
    "    namespace: mirror",
    "    tlsVerify: false",
    ...(c.targetCredentials === false ? [] : ["    credentials: { usernameEnv: TARGET_USER, passwordEnv: TARGET_PASSWORD }"]),
    ...(c.targetYaml ?? []).map((l) => `    ${l}`),
    "sources:",
    ...c.sources.flatMap((s) => [
      `  - registry: "${s.host}"`,
      "    tlsVerify: false",
      ...(s.credentials ? [`    credentials: { usernameEnv: ${s.credentials.usernameEnv}, passwordEnv: ${s.credentials.passwordEnv} }`] : []),
    ]),
    ...(c.extra ?? []),
    "",
  ].join("\n");
}
