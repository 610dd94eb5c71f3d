import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConfigError,
  configJsonSchema,
  defaultConfig,
  loadConfig,
  parseConfig,
  validateConfig,
} from "../../src/domain/config.js";
import { schemaText } from "../../src/cli/schema.js";

const FILE = ".github/mirrorbot.yml";

function configError(text: string): ConfigError {
  try {
    parseConfig(text, FILE);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`expected the config to be rejected:\n${text}`);
}

const defaultTarget = {
  name: "default",
  registry: "registry.example.com",
  namespace: "mirror",
  naming: { style: "flat", separator: "_", includeSourceRegistry: false, lowercase: false, platformTag: "suffix" },
  tlsVerify: true,
  credentials: null,
  copier: "native",
};

describe("parseConfig defaults", () => {
  it("gives the documented defaults for an empty file", () => {
    expect(parseConfig("", FILE)).toEqual({
      targets: [defaultTarget],
      sources: [],
      policy: { allow: ["**"], deny: [], maxImagesPerRequest: 10, maxTagsPerRule: 50, syncPermission: "write", requestsPerHour: 5 },
      defaults: { platforms: [] },
      engine: { concurrency: "auto", retries: 3, stallTimeout: 60, attemptTimeout: 3600 },
      sharding: { shards: "auto", budgetMB: 20_000, maxShards: 8, maxParallel: 8 },
      notify: [],
      app: { closeIssueOnSuccess: true, workflow: "mirror.yml", imagesFile: "images.txt" },
      catalog: { enabled: "auto", url: null },
    });
  });

  it("treats a comment-only file and a null document as empty", () => {
    expect(parseConfig("# nothing yet\n", FILE)).toEqual(defaultConfig());
    expect(validateConfig(null, FILE)).toEqual(defaultConfig());
  });

  it("fills in target defaults: name from the registry, empty namespace, flat naming", () => {
    const config = parseConfig("targets:\n  - registry: registry.cn-hangzhou.aliyuncs.com\n", FILE);
    expect(config.targets).toEqual([
      {
        ...defaultTarget,
        name: "registry.cn-hangzhou.aliyuncs.com",
        registry: "registry.cn-hangzhou.aliyuncs.com",
        namespace: "",
      },
    ]);
  });

  it("defaults naming.lowercase to true for ghcr.io only, and lets it be overridden", () => {
    const config = parseConfig(
      [
        "targets:",
        "  - registry: ghcr.io",
        "    namespace: MyOrg",
        "  - registry: harbor.example.com",
        "  - name: ghcr-plain",
        "    registry: ghcr.io",
        "    naming: { lowercase: false }",
      ].join("\n"),
      FILE,
    );
    expect(config.targets.map((t) => [t.name, t.naming.lowercase])).toEqual([
      ["ghcr.io", true],
      ["harbor.example.com", false],
      ["ghcr-plain", false],
    ]);
  });

  it("keeps a full config as written and normalizes default platforms", () => {
    const config = parseConfig(
      `
targets:
  - name: aliyun
    registry: registry.cn-hangzhou.aliyuncs.com
    namespace: mymirror
    naming: { style: nested, separator: "__", includeSourceRegistry: true, platformTag: prefix }
    tlsVerify: false
    credentials: { usernameEnv: ALIYUN_USERNAME, passwordEnv: ALIYUN_PASSWORD }
    copier: skopeo
sources:
  - registry: docker.io
    credentials: { usernameEnv: DOCKERHUB_USERNAME, passwordEnv: DOCKERHUB_TOKEN }
policy:
  allow: ["docker.io/library/*", "quay.io/**"]
  deny: ["docker.io/library/ubuntu"]
  maxImagesPerRequest: 3
  syncPermission: maintain
  requestsPerHour: 20
defaults:
  platforms: [linux/amd64, linux/aarch64, linux/arm]
engine: { concurrency: 2, retries: 0, stallTimeout: 120, attemptTimeout: 600 }
notify:
  - type: feishu
    urlEnv: FEISHU_WEBHOOK
app: { closeIssueOnSuccess: false, workflow: sync.yaml, imagesFile: mirror/images.txt }
`,
      FILE,
    );
    expect(config.targets[0]).toEqual({
      name: "aliyun",
      registry: "registry.cn-hangzhou.aliyuncs.com",
      namespace: "mymirror",
      naming: { style: "nested", separator: "__", includeSourceRegistry: true, lowercase: false, platformTag: "prefix" },
      tlsVerify: false,
      credentials: { usernameEnv: "ALIYUN_USERNAME", passwordEnv: "ALIYUN_PASSWORD" },
      copier: "skopeo",
    });
    expect(config.sources).toEqual([
      { registry: "docker.io", tlsVerify: true, credentials: { usernameEnv: "DOCKERHUB_USERNAME", passwordEnv: "DOCKERHUB_TOKEN" } },
    ]);
    expect(config.policy).toEqual({
      allow: ["docker.io/library/*", "quay.io/**"],
      deny: ["docker.io/library/ubuntu"],
      maxImagesPerRequest: 3,
      maxTagsPerRule: 50,
      syncPermission: "maintain",
      requestsPerHour: 20,
    });
    expect(config.defaults.platforms).toEqual(["linux/amd64", "linux/arm64", "linux/arm/v7"]);
    expect(config.engine).toEqual({ concurrency: 2, retries: 0, stallTimeout: 120, attemptTimeout: 600 });
    expect(config.notify).toEqual([{ type: "feishu", urlEnv: "FEISHU_WEBHOOK", on: "failure" }]);
    expect(config.app).toEqual({ closeIssueOnSuccess: false, workflow: "sync.yaml", imagesFile: "mirror/images.txt" });
  });

  it("accepts localhost, ports and IPv6 registry hosts", () => {
    const config = parseConfig("targets: [{registry: 'localhost'}, {registry: 'localhost:5000'}, {registry: '[::1]:5000'}, {registry: 'reg.local:443'}]", FILE);
    expect(config.targets.map((t) => t.registry)).toEqual(["localhost", "localhost:5000", "[::1]:5000", "reg.local:443"]);
  });
});

describe("parseConfig errors name the file and the key path", () => {
  const cases: [string, string, string[]][] = [
    [
      "an enum typo",
      "targets:\n  - registry: r.example.com\n    naming:\n      style: flatt\n",
      [`${FILE}: targets[0].naming.style: expected one of "flat" | "nested", got "flatt"`],
    ],
    [
      "an unknown key, with a suggestion",
      "targets:\n  - regsitry: r.example.com\n",
      [`${FILE}: targets[0].registry: missing, expected a string`, `${FILE}: targets[0].regsitry: unknown key; did you mean "registry"?`],
    ],
    [
      "an unknown key in snake_case",
      "targets:\n  - registry: r.example.com\n    naming: { include_source_registry: true }\n",
      [`${FILE}: targets[0].naming.include_source_registry: unknown key; did you mean "includeSourceRegistry"?`],
    ],
    ["an unknown top-level key", "target: []\n", [`${FILE}: target: unknown key; did you mean "targets"?`]],
    ["a wrong type", "targets:\n  - registry: 5000\n", [`${FILE}: targets[0].registry: expected a string, got the number 5000`]],
    ["an empty value", "targets:\n  - registry:\n", [`${FILE}: targets[0].registry: expected a string, got an empty value`]],
    ["a list at the top level", "- nginx\n", [`${FILE}: expected a mapping at the top level, got a list`]],
    ["no targets", "targets: []\n", [`${FILE}: targets: expected at least one target`]],
    [
      "a URL instead of a host",
      "targets: [{registry: 'https://r.example.com'}]\n",
      [`${FILE}: targets[0].registry: expected a registry host[:port] without a scheme, e.g. "registry.example.com", got "https://r.example.com"`],
    ],
    [
      "a host Docker would read as a Hub namespace",
      "targets: [{registry: myregistry}]\n",
      [
        `${FILE}: targets[0].registry: "myregistry" would be read as a Docker Hub namespace; a registry host needs a "." or a ":port", or must be "localhost"`,
      ],
    ],
    [
      "an invalid namespace",
      "targets: [{registry: r.example.com, namespace: /mirror}]\n",
      [
        `${FILE}: targets[0].namespace: expected a path under the registry such as "mirror" or "team/mirror" (components of letters, digits, ".", "_", "-"), got "/mirror"`,
      ],
    ],
    [
      "an uppercase namespace without lowercase",
      "targets: [{registry: r.example.com, namespace: MyOrg}]\n",
      [`${FILE}: targets[0].namespace: "MyOrg" has uppercase letters and registries accept only lowercase names; write "myorg" or set naming.lowercase: true`],
    ],
    [
      "a separator that breaks names",
      "targets: [{registry: r.example.com, naming: {separator: '/'}}]\n",
      [`${FILE}: targets[0].naming.separator: expected a separator that keeps names valid: "_", "__", "." or one or more "-", got "/"`],
    ],
    [
      "duplicate target names",
      "targets: [{registry: a.example.com}, {name: b, registry: b.example.com}, {registry: a.example.com, namespace: other}]\n",
      [`${FILE}: targets[2].name: duplicate target name "a.example.com" (targets[0] has it too); give each target a distinct "name"`],
    ],
    [
      "a number out of range",
      "engine: {concurrency: 0, retries: 11}\n",
      [`${FILE}: engine.concurrency: expected a number >= 1, got the number 0`, `${FILE}: engine.retries: expected a number <= 10, got the number 11`],
    ],
    ["a fraction", "policy: {maxImagesPerRequest: 2.5}\n", [`${FILE}: policy.maxImagesPerRequest: expected a whole number, got the number 2.5`]],
    [
      "a familiar-name glob that can never match",
      "policy: {allow: ['library/*']}\n",
      [
        `${FILE}: policy.allow[0]: "library/*" can never match: patterns are matched against canonical repositories such as "docker.io/library/nginx"; did you mean "docker.io/library/*"?`,
      ],
    ],
    [
      "deny globs that could never match, so would refuse nothing",
      "policy: {deny: ['docker.io/library/redis:7', 'docker.io/library/{mysql,mariadb}', 'https://docker.io/**']}\n",
      [
        `${FILE}: policy.deny[0]: "docker.io/library/redis:7" can never match: patterns match repositories, not tags; did you mean "docker.io/library/redis"?`,
        `${FILE}: policy.deny[1]: "docker.io/library/{mysql,mariadb}" can never match: a repository path holds only lowercase letters, digits, ".", "_", "-" and "/" ("*", "**" and "?" are the only wildcards), not "{"`,
        `${FILE}: policy.deny[2]: "https://docker.io/**" can never match: patterns name repositories without a scheme; did you mean "docker.io/**"?`,
      ],
    ],
    [
      "an invalid default platform",
      "defaults: {platforms: [linux/amd64, arm64, linux/amd64]}\n",
      [`${FILE}: defaults.platforms[1]: platform "arm64" must be os/arch[/variant]; write "linux/arm64"`],
    ],
    ["a repeated default platform", "defaults: {platforms: [linux/amd64, linux/x86_64]}\n", [`${FILE}: defaults.platforms[1]: "linux/amd64" is listed twice`]],
    [
      "a missing notify url",
      "notify: [{type: teams}]\n",
      [
        `${FILE}: notify[0].type: expected one of "feishu" | "dingtalk" | "wecom" | "slack" | "webhook", got "teams"`,
        `${FILE}: notify[0].urlEnv: missing, expected a string`,
      ],
    ],
    [
      "a duplicate source registry",
      "sources: [{registry: docker.io}, {registry: Docker.io}]\n",
      [`${FILE}: sources[1].registry: "docker.io" is configured twice (sources[0] has it too)`],
    ],
  ];

  it.each(cases)("%s", (_name, text, lines) => {
    const err = configError(text);
    expect(err.message.split("\n")).toEqual(lines);
    expect(err.file).toBe(FILE);
    expect(err.issues).toEqual(lines.map((l) => l.slice(FILE.length + 2)));
  });

  it("never echoes what was written where an environment variable name belongs", () => {
    const token = "ghp_0123456789abcdefSECRET";
    const err = configError(`targets:\n  - registry: r.example.com\n    credentials: { usernameEnv: me, passwordEnv: "${token}", password: "${token}" }\n`);
    expect(err.message).not.toContain(token);
    expect(err.message).not.toContain("me,");
    expect(err.message.split("\n")).toEqual([
      `${FILE}: targets[0].credentials.usernameEnv: expected the name of an environment variable (A-Z, 0-9 and _, not starting with a digit), not its value`,
      `${FILE}: targets[0].credentials.passwordEnv: expected the name of an environment variable (A-Z, 0-9 and _, not starting with a digit), not its value`,
      `${FILE}: targets[0].credentials.password: unknown key; did you mean "passwordEnv"?`,
    ]);
  });

  it("reports YAML syntax errors with line and column", () => {
    const err = configError("targets:\n  - registry: a.example.com\n    naming: [flat\n");
    expect(err.message).toMatch(/^\.github\/mirrorbot\.yml:4:1: /);
    expect(err.message.split("\n")).toHaveLength(1);
    expect(configError("policy: {}\npolicy: {}\n").message).toBe(`${FILE}:2:1: Map keys must be unique`);
  });

  it("accepts a signing secret variable for dingtalk and feishu only", () => {
    expect(parseConfig("notify: [{type: dingtalk, urlEnv: DT, secretEnv: DT_SECRET}]\n", FILE).notify[0]!.secretEnv).toBe("DT_SECRET");
    expect(configError("notify: [{type: slack, urlEnv: S, secretEnv: S_SECRET}]\n").message).toBe(
      `${FILE}: notify[0].secretEnv: only dingtalk and feishu robots sign their messages, not "slack"`,
    );
  });

  it("refuses a YAML alias bomb as a config error, not a crash", () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...["b", "c", "d", "e", "f", "g", "h", "i"].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcdefgh"[i]}`).join(",")}]`),
    ].join("\n");
    const err = configError(bomb);
    expect(err.message).toBe(
      `${FILE}: YAML aliases expand to too many nodes (more than 100 aliases resolved): an alias bomb is refused; write the values out instead`,
    );
  });

  it("reports an alias with no anchor at its line and column", () => {
    const err = configError("policy:\n  allow: *hubs\n");
    expect(err.message).toBe(`${FILE}:2:10: alias "*hubs" has no anchor "&hubs" before it`);
    expect(err.issues).toEqual([`line 2, column 10: alias "*hubs" has no anchor "&hubs" before it`]);
  });

  it("still resolves a few ordinary aliases", () => {
    const config = parseConfig("policy:\n  allow: &hubs [docker.io/library/*]\n  deny: *hubs\n", FILE);
    expect(config.policy.deny).toEqual(["docker.io/library/*"]);
  });
});

describe("loadConfig", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mirrorbot-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("uses the defaults when there is no .github/mirrorbot.yml", async () => {
    const empty = await mkdtemp(join(dir, "empty-"));
    expect(await loadConfig(undefined, { cwd: empty })).toEqual(defaultConfig());
  });

  it("reads .github/mirrorbot.yml from the working directory", async () => {
    const repo = await mkdtemp(join(dir, "repo-"));
    await mkdir(join(repo, ".github"));
    await writeFile(join(repo, ".github/mirrorbot.yml"), "targets: [{registry: ghcr.io, namespace: acme}]\n");
    const config = await loadConfig(undefined, { cwd: repo });
    expect(config.targets.map((t) => `${t.registry}/${t.namespace}`)).toEqual(["ghcr.io/acme"]);
  });

  it("names the default path in errors from the default file", async () => {
    const repo = await mkdtemp(join(dir, "bad-"));
    await mkdir(join(repo, ".github"));
    await writeFile(join(repo, ".github/mirrorbot.yml"), "engine: {concurrency: many}\n");
    await expect(loadConfig(undefined, { cwd: repo })).rejects.toThrow(
      `${FILE}: engine.concurrency: expected "auto" or a whole number from 1 to 64, got a string`,
    );
  });

  it("requires an explicit path to exist", async () => {
    await expect(loadConfig("missing.yml", { cwd: dir })).rejects.toThrow(new ConfigError("missing.yml", ["no such file"]));
    await expect(loadConfig("missing.yml", { cwd: dir })).rejects.toThrow("missing.yml: no such file");
  });

  it("reads an explicit path relative to the working directory", async () => {
    await writeFile(join(dir, "custom.yml"), "policy: {maxImagesPerRequest: 1}\n");
    expect((await loadConfig("custom.yml", { cwd: dir })).policy.maxImagesPerRequest).toBe(1);
  });
});

describe("configJsonSchema", () => {
  it("describes the file as written: strict objects, defaults, required registry", () => {
    const schema = configJsonSchema() as {
      $schema: string;
      additionalProperties: boolean;
      properties: { targets: { items: { required: string[]; additionalProperties: boolean; properties: Record<string, { description?: string }> } } };
    };
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema.additionalProperties).toBe(false);
    const target = schema.properties.targets.items;
    expect(target.required).toEqual(["registry"]);
    expect(target.additionalProperties).toBe(false);
    expect(target.properties.registry?.description).toContain("host[:port]");
  });

  it("describes every key, so editors can explain it", () => {
    const missing: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== "object") return;
      const n = node as { properties?: Record<string, { description?: string }>; items?: unknown; anyOf?: unknown[] };
      for (const [key, child] of Object.entries(n.properties ?? {})) {
        if (!child.description) missing.push(`${path}.${key}`);
        walk(child, `${path}.${key}`);
      }
      walk(n.items, `${path}[]`);
      for (const option of n.anyOf ?? []) walk(option, path);
    };
    walk(configJsonSchema(), "");
    expect(missing).toEqual([]);
  });

  it("is what docs/mirrorbot.schema.json holds (regenerate: node dist/src/cli/main.js schema > docs/mirrorbot.schema.json)", async () => {
    const committed = await readFile(new URL("../../docs/mirrorbot.schema.json", import.meta.url), "utf8");
    expect(committed).toBe(schemaText());
  });
});
