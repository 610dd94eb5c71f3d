import { describe, expect, it } from "vitest";
import { validateConfig, type TargetConfig } from "../../src/domain/config.js";
import { formatDiagnostic } from "../../src/domain/diagnostic.js";
import { parseEntryLine, parseImagesFile, type ImageEntry } from "../../src/domain/images-file.js";
import { expandPlatforms, hostComponent, NamingError, planTargets, targetReference } from "../../src/domain/naming.js";
import { parseReference } from "../../src/domain/reference.js";

/** A target with the config schema's defaults, as the CLI and the engine see it. */
function target(spec: Record<string, unknown>): TargetConfig {
  return validateConfig({ targets: [spec] }, "test.yml").targets[0]!;
}

function entry(line: string): ImageEntry {
  const { entry: e, diagnostics } = parseEntryLine(line);
  if (!e) throw new Error(`invalid test line ${JSON.stringify(line)}: ${diagnostics.map((d) => d.message).join("; ")}`);
  return e;
}

const HEX = "0123456789abcdef".repeat(4);
const flat = target({ name: "flat", registry: "registry.example.com", namespace: "mirror" });
const nested = target({ name: "harbor", registry: "harbor.example.com", namespace: "mirror", naming: { style: "nested" } });

describe("targetReference", () => {
  const cases: [string, string, TargetConfig, string][] = [
    // flat: one component below the namespace
    ["flat, official image", "nginx:1.26", flat, "registry.example.com/mirror/nginx:1.26"],
    ["flat, implicit latest", "nginx", flat, "registry.example.com/mirror/nginx:latest"],
    ["flat, Hub namespace", "bitnami/redis:7", flat, "registry.example.com/mirror/bitnami_redis:7"],
    ["flat, explicit docker.io/library", "docker.io/library/nginx:1.26", flat, "registry.example.com/mirror/nginx:1.26"],
    ["flat, other registry drops the host", "registry.k8s.io/pause:3.9", flat, "registry.example.com/mirror/pause:3.9"],
    ["flat, ghcr path", "ghcr.io/foo/bar:1", flat, "registry.example.com/mirror/foo_bar:1"],
    ["flat, library/ kept outside Docker Hub", "quay.io/library/foo:1", flat, "registry.example.com/mirror/library_foo:1"],
    ["flat, deep path", "gcr.io/a/b/c:2", flat, "registry.example.com/mirror/a_b_c:2"],
    ["flat, separator -", "bitnami/redis:7", target({ registry: "r.example.com", namespace: "m", naming: { separator: "-" } }), "r.example.com/m/bitnami-redis:7"],
    ["flat, separator __", "bitnami/redis:7", target({ registry: "r.example.com", namespace: "m", naming: { separator: "__" } }), "r.example.com/m/bitnami__redis:7"],
    ["flat, separator .", "bitnami/redis:7", target({ registry: "r.example.com", namespace: "m", naming: { separator: "." } }), "r.example.com/m/bitnami.redis:7"],
    ["flat, no namespace", "nginx:1.26", target({ registry: "localhost:5000" }), "localhost:5000/nginx:1.26"],
    [
      "flat, source registry prefixed",
      "registry.k8s.io/pause:3.9",
      target({ registry: "r.example.com", namespace: "ns", naming: { includeSourceRegistry: true } }),
      "r.example.com/ns/registry.k8s.io_pause:3.9",
    ],
    [
      "flat, Docker Hub prefixed",
      "nginx:1.26",
      target({ registry: "r.example.com", namespace: "ns", naming: { includeSourceRegistry: true } }),
      "r.example.com/ns/docker.io_nginx:1.26",
    ],
    [
      "flat, source registry with a port",
      "localhost:5000/a/b:1",
      target({ registry: "r.example.com", namespace: "ns", naming: { includeSourceRegistry: true } }),
      "r.example.com/ns/localhost-5000_a_b:1",
    ],
    // nested: the canonical path below the namespace
    ["nested, official image keeps library/", "nginx:1.26", nested, "harbor.example.com/mirror/library/nginx:1.26"],
    ["nested, Hub namespace", "bitnami/redis:7", nested, "harbor.example.com/mirror/bitnami/redis:7"],
    ["nested, other registry", "ghcr.io/foo/bar:1", nested, "harbor.example.com/mirror/foo/bar:1"],
    [
      "nested, source registry first",
      "nginx:1.26",
      target({ registry: "harbor.example.com", namespace: "mirror", naming: { style: "nested", includeSourceRegistry: true } }),
      "harbor.example.com/mirror/docker.io/library/nginx:1.26",
    ],
    [
      "nested, deep namespace",
      "registry.k8s.io/pause:3.9",
      target({ registry: "harbor.example.com", namespace: "team/mirror", naming: { style: "nested", includeSourceRegistry: true } }),
      "harbor.example.com/team/mirror/registry.k8s.io/pause:3.9",
    ],
    // platforms
    ["platform suffix", "--platform=linux/arm64 mysql:8.0", flat, "registry.example.com/mirror/mysql:8.0-linux-arm64"],
    ["platform suffix with variant", "--platform=linux/arm/v7 mysql:8.0", flat, "registry.example.com/mirror/mysql:8.0-linux-arm-v7"],
    ["platform normalized", "--platform=linux/aarch64 mysql:8.0", flat, "registry.example.com/mirror/mysql:8.0-linux-arm64"],
    ["platform suffix, nested", "--platform=linux/arm64 mysql:8.0", nested, "harbor.example.com/mirror/library/mysql:8.0-linux-arm64"],
    [
      "platform prefix (seed style)",
      "--platform=linux/arm64 mysql:8.0",
      target({ registry: "r.example.com", namespace: "ns", naming: { platformTag: "prefix" } }),
      "r.example.com/ns/linux_arm64_mysql:8.0",
    ],
    [
      "platform prefix with variant and path",
      "--platform=linux/arm/v7 bitnami/redis:7",
      target({ registry: "r.example.com", namespace: "ns", naming: { platformTag: "prefix" } }),
      "r.example.com/ns/linux_arm_v7_bitnami_redis:7",
    ],
    [
      "platform prefix uses the separator",
      "--platform=linux/arm64 mysql:8.0",
      target({ registry: "r.example.com", namespace: "ns", naming: { platformTag: "prefix", separator: "-" } }),
      "r.example.com/ns/linux-arm64-mysql:8.0",
    ],
    [
      "platform prefix, nested: on the last component",
      "--platform=linux/arm64 mysql:8.0",
      target({ registry: "r.example.com", namespace: "ns", naming: { style: "nested", platformTag: "prefix" } }),
      "r.example.com/ns/library/linux_arm64_mysql:8.0",
    ],
    // digests
    ["digest only: cosign-style tag", `nginx@sha256:${HEX}`, flat, `registry.example.com/mirror/nginx:sha256-${HEX}`],
    ["tag and digest: the tag", `nginx:1.26@sha256:${HEX}`, flat, "registry.example.com/mirror/nginx:1.26"],
    ["digest with platform", `--platform=linux/arm64 nginx@sha256:${HEX}`, flat, `registry.example.com/mirror/nginx:sha256-${HEX}-linux-arm64`],
    // renames
    ["rename, flat", "gitea/gitea:1.20 => tools/gitea:1.20", flat, "registry.example.com/mirror/tools_gitea:1.20"],
    ["rename, nested", "gitea/gitea:1.20 => tools/gitea:1.20", nested, "harbor.example.com/mirror/tools/gitea:1.20"],
    ["rename without tag keeps the source tag", "nginx:1.26 => web/nginx", flat, "registry.example.com/mirror/web_nginx:1.26"],
    ["rename with a new tag", "nginx:1.26 => web:stable", flat, "registry.example.com/mirror/web:stable"],
    ["rename of a digest source", `nginx@sha256:${HEX} => web`, flat, `registry.example.com/mirror/web:sha256-${HEX}`],
    ["rename with platform", "--platform=linux/arm64 gitea/gitea:1.20 => tools/gitea:1.20", flat, "registry.example.com/mirror/tools_gitea:1.20-linux-arm64"],
    // lowercase
    ["GHCR lowercases the namespace", "nginx:1.26", target({ registry: "ghcr.io", namespace: "MyOrg" }), "ghcr.io/myorg/nginx:1.26"],
    ["GHCR keeps the tag's case", "nginx:Stable-V1", target({ registry: "ghcr.io", namespace: "MyOrg" }), "ghcr.io/myorg/nginx:Stable-V1"],
    [
      "GHCR nested",
      "bitnami/redis:7",
      target({ registry: "ghcr.io", namespace: "Acme/Mirror", naming: { style: "nested" } }),
      "ghcr.io/acme/mirror/bitnami/redis:7",
    ],
    [
      "lowercase on another registry",
      "nginx:1.26",
      target({ registry: "r.example.com", namespace: "Team", naming: { lowercase: true } }),
      "r.example.com/team/nginx:1.26",
    ],
  ];

  it.each(cases)("%s: %s", (_name, line, t, expected) => {
    const reference = targetReference(entry(line), t);
    expect(reference).toBe(expected);
    expect(() => parseReference(reference)).not.toThrow();
  });

  it("lowercases a rename for a lowercase target, but not its tag", () => {
    const e: ImageEntry = { ...entry("gitea/gitea:1.20"), rename: "Tools/Gitea:V1" };
    expect(targetReference(e, target({ registry: "ghcr.io", namespace: "acme" }))).toBe("ghcr.io/acme/tools_gitea:V1");
  });

  it("refuses a tag over 128 characters and suggests an explicit name", () => {
    const sha512 = "ab".repeat(64);
    expect(() => targetReference(entry(`nginx@sha512:${sha512}`), flat)).toThrow(
      new NamingError(
        `cannot name docker.io/library/nginx@sha512:${sha512} in target "flat": tag is 135 characters long; at most 128 are allowed; give it an explicit name with "=> NAME:TAG"`,
      ),
    );
    const tag = "t".repeat(120);
    expect(() => targetReference(entry(`--platform=linux/arm64 nginx:${tag}`), flat)).toThrow(/tag is 132 characters long; at most 128 are allowed/);
  });

  it("refuses a name over 255 characters", () => {
    const path = "a".repeat(240);
    expect(() => targetReference(entry(`quay.io/${path}:1`), flat)).toThrow(NamingError);
    expect(() => targetReference(entry(`quay.io/${path}:1`), flat)).toThrow(
      /^cannot name quay\.io\/a+:1 in target "flat": repository name must not be more than 255 characters/,
    );
  });
});

describe("hostComponent", () => {
  it.each([
    ["registry.k8s.io", "registry.k8s.io"],
    ["localhost:5000", "localhost-5000"],
    ["[::1]:5000", "1-5000"],
    ["Registry.Example.COM", "registry.example.com"],
  ])("%s -> %s", (host, component) => {
    expect(hostComponent(host)).toBe(component);
  });
});

describe("planTargets", () => {
  const format = (text: string, targets: TargetConfig[]) => {
    const { entries } = parseImagesFile(text);
    const { rows, diagnostics } = planTargets(entries, targets, "images.txt");
    return { rows: rows.map((r) => [r.entry.line, r.target.name, r.reference]), diagnostics: diagnostics.map(formatDiagnostic) };
  };
  const defaultTarget = validateConfig({}, "test.yml").targets;

  it("reports two sources with one target as an error on the later line, naming both", () => {
    const text = "nginx:1.26\nquay.io/bitnami/nginx:1\n\n# comment\ndocker.io/bitnami/nginx:1\n";
    expect(format(text, defaultTarget)).toEqual({
      rows: [
        [1, "default", "registry.example.com/mirror/nginx:1.26"],
        [2, "default", "registry.example.com/mirror/bitnami_nginx:1"],
      ],
      diagnostics: [
        'images.txt:5:1: error: docker.io/bitnami/nginx:1 and quay.io/bitnami/nginx:1 (line 2) both map to registry.example.com/mirror/bitnami_nginx:1 on target "default"; give one an explicit name with "=> NAME:TAG"',
      ],
    });
  });

  it("is fixed by a rename or by including the source registry", () => {
    expect(format("quay.io/bitnami/nginx:1\ndocker.io/bitnami/nginx:1 => hub/bitnami-nginx\n", defaultTarget).diagnostics).toEqual([]);
    const withHost = target({ name: "h", registry: "r.example.com", naming: { includeSourceRegistry: true } });
    expect(format("quay.io/bitnami/nginx:1\ndocker.io/bitnami/nginx:1\n", [withHost]).rows).toEqual([
      [1, "h", "r.example.com/quay.io_bitnami_nginx:1"],
      [2, "h", "r.example.com/docker.io_bitnami_nginx:1"],
    ]);
  });

  it("reports a literal tag clashing with a platform suffix, naming the platform", () => {
    const text = "--platform=linux/arm64 mysql:8.0\nmysql:8.0-linux-arm64\n";
    expect(format(text, defaultTarget).diagnostics).toEqual([
      'images.txt:2:1: error: docker.io/library/mysql:8.0-linux-arm64 and docker.io/library/mysql:8.0 for linux/arm64 (line 1) both map to registry.example.com/mirror/mysql:8.0-linux-arm64 on target "default"; give one an explicit name with "=> NAME:TAG"',
    ]);
  });

  it("reports a digest-pinned and a plain source with the same tag", () => {
    const text = `nginx:1.26\nnginx:1.26@sha256:${HEX}\n`;
    expect(format(text, defaultTarget).diagnostics).toHaveLength(1);
  });

  it("does not count an exact duplicate as a collision and plans it once", () => {
    expect(format("nginx:1.26\ndocker.io/library/nginx:1.26\n", defaultTarget)).toEqual({
      rows: [[1, "default", "registry.example.com/mirror/nginx:1.26"]],
      diagnostics: [],
    });
  });

  it("checks each target on its own: a clash in flat is none in nested", () => {
    const text = "quay.io/bitnami/nginx:1\ndocker.io/bitnami/nginx:1\n";
    const nestedWithHost = target({ name: "harbor", registry: "harbor.example.com", namespace: "m", naming: { style: "nested", includeSourceRegistry: true } });
    const result = format(text, [nestedWithHost, ...defaultTarget]);
    expect(result.rows).toEqual([
      [1, "harbor", "harbor.example.com/m/quay.io/bitnami/nginx:1"],
      [1, "default", "registry.example.com/mirror/bitnami_nginx:1"],
      [2, "harbor", "harbor.example.com/m/docker.io/bitnami/nginx:1"],
    ]);
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toContain('on target "default"');
  });

  it("reports a name that cannot be built as an error on its line and column, and plans the rest", () => {
    const text = `nginx:1.26\n  --platform=linux/arm64 nginx:${"t".repeat(120)}\n`;
    const result = format(text, defaultTarget);
    expect(result.rows).toEqual([[1, "default", "registry.example.com/mirror/nginx:1.26"]]);
    expect(result.diagnostics).toEqual([
      `images.txt:2:26: error: cannot name docker.io/library/nginx:${"t".repeat(120)} in target "default": tag is 132 characters long; at most 128 are allowed; give it an explicit name with "=> NAME:TAG"`,
    ]);
  });

  it("gives a line the same target whatever the other lines are", () => {
    const alone = format("bitnami/redis:7\n", defaultTarget).rows[0]?.[2];
    const among = format("redis:7\nbitnami/redis:7 => other\nbitnami/redis:7\n", defaultTarget).rows.at(-1)?.[2];
    expect(alone).toBe("registry.example.com/mirror/bitnami_redis:7");
    expect(among).toBe(alone);
  });
});

describe("expandPlatforms", () => {
  it("gives an entry without --platform one entry per default platform, keeping its line", () => {
    const { entries } = parseImagesFile("nginx:1.26\n--platform=linux/arm/v7 mysql:8.0\n");
    const expanded = expandPlatforms(entries, ["linux/amd64", "linux/arm64"]);
    const rows = planTargets(expanded, [flat]).rows.map((r) => [r.entry.line, r.reference]);
    expect(rows).toEqual([
      [1, "registry.example.com/mirror/nginx:1.26-linux-amd64"],
      [1, "registry.example.com/mirror/nginx:1.26-linux-arm64"],
      [2, "registry.example.com/mirror/mysql:8.0-linux-arm-v7"],
    ]);
  });

  it("leaves entries alone when there are no default platforms", () => {
    const { entries } = parseImagesFile("nginx:1.26\n");
    expect(expandPlatforms(entries, [])).toEqual(entries);
  });

  it("expands renamed entries without clashes", () => {
    const { entries } = parseImagesFile("gitea/gitea:1.20 => tools/gitea\n");
    const { rows, diagnostics } = planTargets(expandPlatforms(entries, ["linux/amd64", "linux/arm64"]), [flat]);
    expect(diagnostics).toEqual([]);
    expect(rows.map((r) => r.reference)).toEqual([
      "registry.example.com/mirror/tools_gitea:1.20-linux-amd64",
      "registry.example.com/mirror/tools_gitea:1.20-linux-arm64",
    ]);
  });
});
