/**
 * `.github/mirrorbot.yml`: the zod schema (defaults applied by the schema, unknown keys are
 * errors so typos surface), the loader, and the JSON Schema editors use to complete the file.
 *
 * Error messages name the file and the key path of each problem and never echo the values of
 * credential fields: people paste tokens where an environment variable name belongs.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type Document, isAlias, parseDocument, visit } from "yaml";
import { z } from "zod";
import { formatPlatform, parsePlatform } from "./platform.js";

/** Where the config lives in a repository, relative to its root. */
export const DEFAULT_CONFIG_PATH = ".github/mirrorbot.yml";

/** The target used when the config has no `targets`: registry.example.com/mirror, named "default". */
export const DEFAULT_TARGET = { name: "default", registry: "registry.example.com", namespace: "mirror" } as const;

// Docker's domain grammar: DNS labels joined by "." or a bracketed IPv6 address, optional port.
const LABEL = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const HOST_RE = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const ENV_RE = /^[A-Z_][A-Z0-9_]*$/;
// A path component as Docker defines it, case-insensitive here: uppercase is judged later,
// against naming.lowercase (GitHub owners are often written with capitals).
const COMPONENT = "[a-zA-Z0-9]+(?:(?:[._]|__|-+)[a-zA-Z0-9]+)*";
const NAMESPACE_RE = new RegExp(`^(?:${COMPONENT}(?:/${COMPONENT})*)?$`);
// Joining two valid components with one of these always gives a valid component.
const SEPARATOR_RE = /^(?:[._]|__|-+)$/;
const TARGET_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const GLOB_RE = /^[^\s@]+$/;
const WORKFLOW_RE = /^[A-Za-z0-9._-]+\.ya?ml$/;

const quote = (s: unknown): string => JSON.stringify(s);

/** True when Docker reads `host` as a registry and not as a Docker Hub namespace. */
function readsAsHost(host: string): boolean {
  return host.includes(".") || host.includes(":") || host === "localhost";
}

const hostSchema = z
  .string()
  .regex(HOST_RE, {
    error: (iss) =>
      typeof iss.input === "string" && iss.input.includes("://")
        ? `expected a registry host[:port] without a scheme, e.g. "registry.example.com", got ${quote(iss.input)}`
        : `expected a registry host[:port] such as "registry.example.com" or "localhost:5000", got ${quote(iss.input)}`,
  })
  .refine(readsAsHost, {
    error: (iss) =>
      `${quote(iss.input)} would be read as a Docker Hub namespace; a registry host needs a "." or a ":port", or must be "localhost"`,
  });

// Never echo the input: a secret pasted here must not reach a log.
const envNameSchema = z.string().regex(ENV_RE, {
  error: "expected the name of an environment variable (A-Z, 0-9 and _, not starting with a digit), not its value",
});

const credentialsSchema = z
  .strictObject({
    usernameEnv: envNameSchema.describe("name of the environment variable holding the user name"),
    passwordEnv: envNameSchema.describe("name of the environment variable holding the password or token"),
  })
  .describe("names of environment variables holding the credentials, never the values");

const namingSchema = z
  .strictObject({
    style: z
      .enum(["flat", "nested"])
      .default("flat")
      .describe('flat: REGISTRY/NAMESPACE/bitnami_redis:7 (one namespace level, e.g. ACR personal); nested: the source path keeps its "/" (Harbor, ACR enterprise, GHCR)'),
    separator: z
      .string()
      .regex(SEPARATOR_RE, {
        error: (iss) => `expected a separator that keeps names valid: "_", "__", "." or one or more "-", got ${quote(iss.input)}`,
      })
      .default("_")
      .describe('flat only: replaces "/" in the source path; also joins the parts of a platform prefix'),
    includeSourceRegistry: z
      .boolean()
      .default(false)
      .describe("nested: put the source registry first in the path; flat: prefix the name with it"),
    lowercase: z
      .boolean()
      .optional()
      .describe("force lowercase repository names (tags keep their case); default true for ghcr.io, false otherwise"),
    platformTag: z
      .enum(["suffix", "prefix"])
      .default("suffix")
      .describe('how a platform entry is named: suffix: "mysql:8.0-linux-arm64"; prefix: "linux_arm64_mysql:8.0" (seed style)'),
  })
  .describe("how source references map to names in this target");

/** How one target registry names its copies. */
export interface NamingConfig {
  style: "flat" | "nested";
  separator: string;
  includeSourceRegistry: boolean;
  lowercase: boolean;
  platformTag: "suffix" | "prefix";
}

/** Credentials as environment variable names; the values are read only where they are used. */
export interface CredentialsConfig {
  usernameEnv: string;
  passwordEnv: string;
}

/** One registry images are copied to. */
export interface TargetConfig {
  name: string;
  registry: string;
  namespace: string;
  naming: NamingConfig;
  tlsVerify: boolean;
  credentials: CredentialsConfig | null;
  /** Which copier moves the bytes: mirrorbot's own (default), or skopeo for a registry where it misbehaves. */
  copier?: Copier;
}

/** The copiers: mirrorbot's own registry client, or one `skopeo copy` process per image. */
export const COPIERS = ["native", "skopeo"] as const;
export type Copier = (typeof COPIERS)[number];

/** GHCR rejects uppercase repository names, and GitHub owners often have capitals. */
function requiresLowercase(registry: string): boolean {
  return registry.toLowerCase() === "ghcr.io";
}

const targetSchema = z
  .strictObject({
    name: z
      .string()
      .regex(TARGET_NAME_RE, {
        error: (iss) => `expected a short name of letters, digits, ".", "_", ":" or "-", got ${quote(iss.input)}`,
      })
      .optional()
      .describe("short name used in logs and replies; defaults to the registry host"),
    registry: hostSchema.describe('registry host[:port], e.g. "registry.cn-hangzhou.aliyuncs.com"'),
    namespace: z
      .string()
      .regex(NAMESPACE_RE, {
        error: (iss) =>
          `expected a path under the registry such as "mirror" or "team/mirror" (components of letters, digits, ".", "_", "-"), got ${quote(iss.input)}`,
      })
      .default("")
      .describe('path under the registry, e.g. "mymirror"; may contain "/"'),
    naming: namingSchema.prefault({}),
    tlsVerify: z.boolean().default(true).describe("verify the registry's TLS certificate; false also allows plain http"),
    credentials: credentialsSchema.nullable().default(null).describe("credentials, as names of environment variables; none for anonymous access"),
    copier: z
      .enum(COPIERS)
      .default("native")
      .describe("native: mirrorbot's own copier, blob by blob with per-request retries (default); skopeo: one `skopeo copy` per image, for a registry where the native copier misbehaves"),
  })
  .superRefine((t, ctx) => {
    // Runs even when a field failed, so check the types it relies on.
    if (typeof t.namespace !== "string" || typeof t.registry !== "string") return;
    const lowercase = t.naming.lowercase ?? requiresLowercase(t.registry);
    if (!lowercase && t.namespace !== t.namespace.toLowerCase()) {
      ctx.addIssue({
        code: "custom",
        path: ["namespace"],
        message: `${quote(t.namespace)} has uppercase letters and registries accept only lowercase names; write ${quote(
          t.namespace.toLowerCase(),
        )} or set naming.lowercase: true`,
      });
    }
  })
  .transform(
    (t): TargetConfig => ({
      name: t.name ?? t.registry,
      registry: t.registry,
      namespace: t.namespace,
      naming: { ...t.naming, lowercase: t.naming.lowercase ?? requiresLowercase(t.registry) },
      tlsVerify: t.tlsVerify,
      credentials: t.credentials,
      copier: t.copier,
    }),
  )
  .describe("a registry images are copied to");

const sourceSchema = z
  .strictObject({
    registry: hostSchema.describe('source registry host[:port], e.g. "docker.io"'),
    tlsVerify: z.boolean().default(true).describe("verify the registry's TLS certificate; false also allows plain http"),
    credentials: credentialsSchema.nullable().default(null).describe("credentials, as names of environment variables; none for anonymous access"),
  })
  .describe("credentials and TLS settings for pulling from one source registry");

/**
 * A glob whose first component is a fixed word that is no registry host can never match a
 * canonical repository; that is almost always "library/*" meant as "docker.io/library/*".
 */
function globProblem(glob: string): string | null {
  if (glob.includes("://")) {
    return `${quote(glob)} can never match: patterns name repositories without a scheme; did you mean ${quote(glob.replace(/^[a-z]+:\/\//i, ""))}?`;
  }
  const first = glob.split("/")[0] ?? "";
  const path = glob.slice(first.length + 1);
  // An inert pattern is worst in deny: it would let through what it seems to refuse.
  const tag = /^([^:]*):/.exec(path);
  if (tag) {
    return `${quote(glob)} can never match: patterns match repositories, not tags; did you mean ${quote(`${first}/${tag[1]}`)}?`;
  }
  const stray = /[^a-z0-9._\-/*?]/.exec(path)?.[0];
  if (stray !== undefined) {
    return `${quote(glob)} can never match: a repository path holds only lowercase letters, digits, ".", "_", "-" and "/" ("*", "**" and "?" are the only wildcards), not ${quote(stray)}`;
  }
  if (/[*?]/.test(first) || readsAsHost(first)) return null;
  const meant = glob.includes("/") ? `docker.io/${glob}` : `docker.io/library/${glob}`;
  return `${quote(glob)} can never match: patterns are matched against canonical repositories such as "docker.io/library/nginx"; did you mean ${quote(meant)}?`;
}

const globSchema = z
  .string()
  .regex(GLOB_RE, {
    error: (iss) => `expected a repository glob such as "docker.io/library/*" (no spaces, no tag or digest), got ${quote(iss.input)}`,
  })
  .superRefine((glob, ctx) => {
    const problem = globProblem(glob);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .describe('glob on the canonical repository: "*" stays within one path component, "**" crosses them, e.g. "docker.io/library/*"');

const policySchema = z
  .strictObject({
    allow: z.array(globSchema).default(["**"]).describe("a source must match one of these"),
    deny: z.array(globSchema).default([]).describe("a source matching one of these is refused, even when allowed"),
    maxImagesPerRequest: z.int().min(1).max(1000).default(10).describe("most images one request (issue or comment) may ask for"),
    maxTagsPerRule: z
      .int()
      .min(1)
      .max(10000)
      .default(50)
      .describe("most tags one tag set (e.g. nginx:{semver ^1.26}) may match; a set matching more is an error naming the count, never cut short"),
    syncPermission: z
      .enum(["read", "triage", "write", "maintain", "admin"])
      .default("write")
      .describe("least repository permission a sender needs to request a sync"),
    requestsPerHour: z.int().min(1).max(10000).default(5).describe("most requests per sender per hour"),
  })
  .describe("which sources may be requested, by whom, and how much");

const platformSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return formatPlatform(parsePlatform(text));
    } catch (err) {
      ctx.addIssue({ code: "custom", message: err instanceof Error ? err.message : String(err), input: text });
      return z.NEVER;
    }
  })
  .describe('a platform "os/arch[/variant]", e.g. "linux/amd64" or "linux/arm/v7"');

const defaultsSchema = z
  .strictObject({
    platforms: z
      .array(platformSchema)
      .default([])
      .describe("empty: copy the whole multi-arch index; else copy one platform entry per listed platform")
      .superRefine((list, ctx) => {
        list.forEach((p, i) => {
          if (list.indexOf(p) !== i) ctx.addIssue({ code: "custom", path: [i], message: `${quote(p)} is listed twice` });
        });
      }),
  })
  .describe("defaults for entries of images.txt");

/** Bounds of `engine.concurrency` and `engine.retries`, shared with the CLI's flags. */
export const ENGINE_LIMITS = {
  concurrency: { min: 1, max: 64 },
  retries: { min: 0, max: 10 },
  stallTimeout: { min: 5, max: 3600 },
  attemptTimeout: { min: 10, max: 86_400 },
} as const;

const engineSchema = z
  .strictObject({
    concurrency: z
      .union([z.literal("auto"), z.int().min(ENGINE_LIMITS.concurrency.min).max(ENGINE_LIMITS.concurrency.max)], {
        error: (iss) => `expected "auto" or a whole number from ${ENGINE_LIMITS.concurrency.min} to ${ENGINE_LIMITS.concurrency.max}, got ${kindOf(iss.input)}`,
      })
      .default("auto")
      .describe('transfers in flight at once: blobs over all images for the native copier ("auto": 8); copies for copier: skopeo ("auto": 4 when the source registry answers within 50 ms, 8 when it is farther away)'),
    retries: z.int().min(ENGINE_LIMITS.retries.min).max(ENGINE_LIMITS.retries.max).default(3).describe("retries after a transient failure: of each request, each blob and each copy"),
    stallTimeout: z
      .int()
      .min(ENGINE_LIMITS.stallTimeout.min)
      .max(ENGINE_LIMITS.stallTimeout.max)
      .default(60)
      .describe("seconds without a byte moving before a request is cut and retried (the stall clock); native copier"),
    attemptTimeout: z
      .int()
      .min(ENGINE_LIMITS.attemptTimeout.min)
      .max(ENGINE_LIMITS.attemptTimeout.max)
      .default(3600)
      .describe("seconds one blob transfer attempt may take in all, however steadily bytes move (the overall clock); native copier"),
  })
  .describe("how the copies run");

/** Bounds of the `sharding` keys, shared with the CLI's flags. */
export const SHARDING_LIMITS = { shards: { min: 1, max: 256 }, maxParallel: { min: 1, max: 256 }, budgetMB: { min: 1, max: 100_000_000 } } as const;

const shardingSchema = z
  .strictObject({
    shards: z
      .union([z.literal("auto"), z.int().min(SHARDING_LIMITS.shards.min).max(SHARDING_LIMITS.shards.max)], {
        error: (iss) => `expected "auto" or a whole number from ${SHARDING_LIMITS.shards.min} to ${SHARDING_LIMITS.shards.max}, got ${kindOf(iss.input)}`,
      })
      .default("auto")
      .describe('runners a sync is split over (docs/sharding.md); "auto": one per budgetMB of blobs the targets lack, at most maxShards; 1 never splits'),
    budgetMB: z
      .int()
      .min(SHARDING_LIMITS.budgetMB.min)
      .max(SHARDING_LIMITS.budgetMB.max)
      .default(20_000)
      .describe('megabytes of missing blobs one runner is given before "auto" adds another shard'),
    maxShards: z.int().min(SHARDING_LIMITS.shards.min).max(SHARDING_LIMITS.shards.max).default(8).describe('most shards "auto" makes'),
    maxParallel: z
      .int()
      .min(SHARDING_LIMITS.maxParallel.min)
      .max(SHARDING_LIMITS.maxParallel.max)
      .default(8)
      .describe("shard jobs the workflow runs at once (the matrix's max-parallel)"),
  })
  .describe("splitting a large sync over several runners (the Actions matrix) or processes");

const notifySchema = z
  .strictObject({
    type: z.enum(["feishu", "dingtalk", "wecom", "slack", "webhook"]).describe("kind of webhook"),
    urlEnv: envNameSchema.describe("name of the environment variable holding the webhook URL (it is a secret)"),
    secretEnv: envNameSchema
      .optional()
      .describe("dingtalk and feishu only: name of the environment variable holding the robot's signing secret (加签 / 签名校验)"),
    on: z.enum(["failure", "always"]).default("failure").describe("send after every sync, or only when something failed"),
  })
  .superRefine((n, ctx) => {
    if (n.secretEnv !== undefined && n.type !== "dingtalk" && n.type !== "feishu") {
      ctx.addIssue({ code: "custom", path: ["secretEnv"], message: `only dingtalk and feishu robots sign their messages, not ${quote(n.type)}` });
    }
  })
  .describe("a webhook told about sync results");

const appSchema = z
  .strictObject({
    closeIssueOnSuccess: z.boolean().default(true).describe("close a request issue once every request on it is done (a failure a later /retry mirrored counts as done)"),
    workflow: z
      .string()
      .regex(WORKFLOW_RE, { error: (iss) => `expected a workflow file name such as "mirror.yml", got ${quote(iss.input)}` })
      .default("mirror.yml")
      .describe("file name of the mirror workflow under .github/workflows"),
    imagesFile: z
      .string()
      .refine((p) => p !== "" && !p.startsWith("/") && !p.split("/").includes(".."), {
        error: (iss) => `expected a path inside the repository such as "images.txt", got ${quote(iss.input)}`,
      })
      .default("images.txt")
      .describe("path of the images list in the repository"),
  })
  .describe("behaviour of the GitHub App");

const catalogSchema = z
  .strictObject({
    enabled: z
      .union([z.literal("auto"), z.boolean()], {
        error: (iss) => `expected "auto", true or false, got ${kindOf(iss.input)}`,
      })
      .default("auto")
      .describe('publish the catalogue page (docs/catalogue.md); "auto": in a public repository only, because a Pages site is public on most plans'),
    url: z
      .url({ protocol: /^https?$/, error: (iss) => `expected the page's http(s) address such as "https://octo.github.io/mirror/", got ${quote(iss.input)}` })
      .nullable()
      .default(null)
      .describe("the page's address when it is not https://<owner>.github.io/<repo>/ (a custom domain); when set, the bot's replies link each image's row"),
  })
  .describe("the catalogue page on GitHub Pages: every mirrored image, how fresh it is, how to pull it");

const configObject = z
  .strictObject({
    $schema: z.string().optional().describe("JSON Schema for editors; ignored by mirrorbot"),
    targets: z
      .array(targetSchema)
      .min(1, { error: "expected at least one target" })
      .prefault([{ ...DEFAULT_TARGET }])
      .describe("registries images are copied to")
      .superRefine((targets, ctx) => {
        // Items that failed validation arrive untransformed; judge only the names that exist.
        const names = targets.map((t) => (typeof t?.name === "string" ? t.name : null));
        names.forEach((name, i) => {
          const first = names.indexOf(name);
          if (name !== null && first !== i) {
            ctx.addIssue({
              code: "custom",
              path: [i, "name"],
              message: `duplicate target name ${quote(name)} (targets[${first}] has it too); give each target a distinct "name"`,
            });
          }
        });
      }),
    sources: z
      .array(sourceSchema)
      .default([])
      .describe("optional credentials and TLS settings for source registries")
      .superRefine((sources, ctx) => {
        const hosts = sources.map((s) => (typeof s?.registry === "string" ? s.registry.toLowerCase() : null));
        hosts.forEach((host, i) => {
          const first = hosts.indexOf(host);
          if (host !== null && first !== i) {
            ctx.addIssue({
              code: "custom",
              path: [i, "registry"],
              message: `${quote(host)} is configured twice (sources[${first}] has it too)`,
            });
          }
        });
      }),
    policy: policySchema.prefault({}),
    defaults: defaultsSchema.prefault({}),
    engine: engineSchema.prefault({}),
    sharding: shardingSchema.prefault({}),
    notify: z.array(notifySchema).default([]).describe("webhooks told about sync results"),
    app: appSchema.prefault({}),
    catalog: catalogSchema.prefault({}),
  })
  .describe("mirrorbot configuration (.github/mirrorbot.yml)");

/** The validated configuration, with every default filled in. */
export type Config = z.output<typeof configObject>;
/** Source policy: globs and request limits. */
export type PolicyConfig = Config["policy"];
/** Credentials and TLS for one source registry. */
export type SourceConfig = Config["sources"][number];
/** How a sync is split into shards. */
export type ShardingConfig = Config["sharding"];
/** One webhook. */
export type NotifyConfig = Config["notify"][number];
/** The catalogue page's settings. */
export type CatalogConfig = Config["catalog"];

/** The schema of `.github/mirrorbot.yml`; parse with {@link validateConfig} for readable errors. */
export const configSchema: z.ZodType<Config> = configObject;

/** A config that fails to read, parse or validate; `issues` are "key.path: problem" lines. */
export class ConfigError extends Error {
  readonly file: string;
  readonly issues: string[];

  constructor(file: string, issues: string[], message?: string) {
    super(message ?? issues.map((i) => `${file}: ${i}`).join("\n"));
    this.name = "ConfigError";
    this.file = file;
    this.issues = issues;
  }
}

/** The configuration used when there is no config file: one flat target, registry.example.com/mirror. */
export function defaultConfig(): Config {
  return configObject.parse({});
}

/**
 * Validate already-parsed data (e.g. from Probot's `context.config`) as a config.
 * `null` or `undefined` (an empty file) gives the defaults.
 */
export function validateConfig(data: unknown, file: string): Config {
  const result = configObject.safeParse(data ?? {}, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(file, result.error.issues.flatMap(formatIssue));
}

/**
 * Parse the text of a config file; throws ConfigError naming the file and each key path.
 * @example parseConfig("targets: [{registry: ghcr.io, namespace: MyOrg}]", ".github/mirrorbot.yml")
 *   // one target "ghcr.io", nested under "MyOrg" with naming.lowercase true
 */
export function parseConfig(text: string, file: string): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    // yaml appends " at line L, column C:" and a code excerpt; the position is already in front.
    const reason = (error.message.split("\n")[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, "");
    const issue = pos ? `line ${pos.line}, column ${pos.col}: ${reason}` : reason;
    throw new ConfigError(file, [issue], `${where}: ${reason}`);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // yaml resolves aliases only here, and reports both an alias with no anchor and an alias
    // bomb (a few lines that expand to billions of nodes) as a ReferenceError.
    if (!(err instanceof ReferenceError)) throw err;
    const problem = aliasProblem(doc, text);
    throw new ConfigError(file, [problem.issue], `${problem.at ? `${file}:${problem.at}` : file}: ${problem.reason}`);
  }
  return validateConfig(data, file);
}

/** Aliases one config may resolve; a real config needs a handful, an alias bomb needs millions. */
const MAX_ALIAS_COUNT = 100;

/** Why resolving aliases failed, located at the first alias without an anchor when there is one. */
function aliasProblem(doc: Document, text: string): { at: string | null; issue: string; reason: string } {
  const anchors = new Set<string>();
  let unresolved: { source: string; offset: number } | null = null;
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        if (!anchors.has(node.source)) {
          unresolved = { source: node.source, offset: node.range?.[0] ?? 0 };
          return visit.BREAK;
        }
      } else if (node.anchor) {
        anchors.add(node.anchor);
      }
      return undefined;
    },
  });
  const found = unresolved as { source: string; offset: number } | null;
  if (found === null) {
    const reason = `YAML aliases expand to too many nodes (more than ${MAX_ALIAS_COUNT} aliases resolved): an alias bomb is refused; write the values out instead`;
    return { at: null, issue: reason, reason };
  }
  const before = text.slice(0, found.offset).split("\n");
  const line = before.length;
  const col = (before.at(-1)?.length ?? 0) + 1;
  const reason = `alias ${quote(`*${found.source}`)} has no anchor ${quote(`&${found.source}`)} before it`;
  return { at: `${line}:${col}`, issue: `line ${line}, column ${col}: ${reason}`, reason };
}

/**
 * Load the config: `path` (relative to `cwd`) must exist; without it, `.github/mirrorbot.yml`
 * under `cwd` is used when present, else {@link defaultConfig}.
 */
export async function loadConfig(path?: string, options: { cwd?: string } = {}): Promise<Config> {
  const cwd = options.cwd ?? process.cwd();
  const file = path ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = await readFile(resolve(cwd, file), "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && path === undefined) return defaultConfig();
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a file" : `cannot read (${code ?? "error"})`;
    throw new ConfigError(file, [reason], `${file}: ${reason}`);
  }
  return parseConfig(text, file);
}

/** The JSON Schema (draft-07) of the config file as written, for editors and yaml-language-server. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configObject, { io: "input", target: "draft-7" });
  return { ...schema, title: "mirrorbot configuration (.github/mirrorbot.yml)" };
}

// ---- issue formatting -------------------------------------------------------------------

type Issue = z.core.$ZodIssue;

/** Render a key path the way people write it: `targets[0].naming.style`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

function kindOf(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return "a string";
  if (typeof value === "number") return `the number ${value}`;
  if (typeof value === "boolean") return `${value}`;
  return typeof value;
}

const EXPECTED: Readonly<Record<string, string>> = {
  object: "a mapping",
  array: "a list",
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
};

function formatIssue(issue: Issue): string[] {
  const at = (path: readonly PropertyKey[], message: string) => {
    const key = formatKeyPath(path);
    return key === "" ? message : `${key}: ${message}`;
  };
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const hint = suggestKey(issue.path, key);
        return at([...issue.path, key], `unknown key${hint ? `; did you mean ${quote(hint)}?` : ""}`);
      });
    case "invalid_type": {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      if (issue.input === undefined) return [at(issue.path, `missing, expected ${expected}`)];
      const where = issue.path.length === 0 ? " at the top level" : "";
      return [at(issue.path, `expected ${expected}${where}, got ${kindOf(issue.input)}`)];
    }
    case "invalid_value": {
      const options = issue.values.map((v) => quote(v)).join(" | ");
      const got = typeof issue.input === "string" ? quote(issue.input) : kindOf(issue.input);
      return [at(issue.path, `expected one of ${options}, got ${got}`)];
    }
    case "too_small":
    case "too_big": {
      if (issue.message && !issue.message.startsWith("Too ")) return [at(issue.path, issue.message)];
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      if (issue.origin === "array") {
        const word = issue.code === "too_small" ? "at least" : "at most";
        return [at(issue.path, `expected ${word} ${bound} item${Number(bound) === 1 ? "" : "s"}`)];
      }
      const op = issue.code === "too_small" ? ">=" : "<=";
      return [at(issue.path, `expected a number ${op} ${bound}, got ${kindOf(issue.input)}`)];
    }
    default:
      return [at(issue.path, issue.message)];
  }
}

/** The known keys of the object schema at `path`, to suggest one for a typo. */
function keysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType | undefined = configObject;
  for (const key of path) {
    schema = schema && unwrap(schema);
    if (!schema) return [];
    const def: z.core.$ZodTypeDef = schema._zod.def;
    if (typeof key === "number" && def.type === "array") schema = (def as z.core.$ZodArrayDef).element;
    else if (typeof key === "string" && def.type === "object") schema = (def as z.core.$ZodObjectDef).shape[key];
    else return [];
  }
  schema = schema && unwrap(schema);
  if (!schema || schema._zod.def.type !== "object") return [];
  return Object.keys((schema._zod.def as z.core.$ZodObjectDef).shape);
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let s = schema;
  for (let i = 0; i < 10; i++) {
    const def = s._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if (def.innerType) s = def.innerType;
    else if (def.type === "pipe" && def.in) s = def.in;
    else break;
  }
  return s;
}

function suggestKey(path: readonly PropertyKey[], typo: string): string | null {
  const squash = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  let best: string | null = null;
  let bestDistance = 3;
  for (const key of keysAt(path)) {
    const a = squash(key);
    const b = squash(typo);
    // "password" for "passwordEnv" is a prefix, far apart by edit distance.
    const d = a === b ? 0 : b.length >= 4 && a.startsWith(b) ? 1 : distance(a, b);
    if (d < bestDistance) {
      best = key;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = row;
  }
  return prev[b.length]!;
}
