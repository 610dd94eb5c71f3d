import { describe, expect, it } from "vitest";
import { parseImagesFile } from "../../src/domain/images-file.js";
import { matchesGlob, policyDiagnostics, policyViolation, requestSizeViolation } from "../../src/domain/policy.js";
import { parseReference } from "../../src/domain/reference.js";

describe("matchesGlob", () => {
  const cases: [string, string, boolean][] = [
    ["**", "docker.io/library/nginx", true],
    ["**", "quay.io/a/b/c", true],
    ["docker.io/library/*", "docker.io/library/nginx", true],
    ["docker.io/library/*", "docker.io/bitnami/nginx", false],
    ["docker.io/*", "docker.io/library/nginx", false], // "*" stays in one component
    ["docker.io/**", "docker.io/library/nginx", true],
    ["docker.io/**", "quay.io/library/nginx", false],
    ["*/library/*", "docker.io/library/nginx", true],
    ["*/library/*", "docker.io/library/foo/bar", false],
    ["**/nginx", "docker.io/library/nginx", true],
    ["**/nginx", "quay.io/nginx", true],
    ["**/nginx", "docker.io/library/nginx-extra", false],
    ["docker.io/**/nginx", "docker.io/library/nginx", true],
    ["quay.io/**/nginx", "quay.io/nginx", true], // "**/" may match no component
    ["docker.io/bitnami/redis*", "docker.io/bitnami/redis-cluster", true],
    ["docker.io/bitnami/redis?", "docker.io/bitnami/redis7", true],
    ["docker.io/bitnami/redis?", "docker.io/bitnami/redis", false],
    ["registry.k8s.io/*", "registry.k8s.io/pause", true],
    ["registry.k8s.io/*", "registryXk8sXio/pause", false], // "." is literal
    ["Docker.IO/library/*", "docker.io/library/nginx", true], // hosts are case-insensitive
    ["localhost:5000/**", "localhost:5000/a/b", true],
    ["[::1]:5000/*", "[::1]:5000/a", true],
    ["docker.io/library/nginx", "docker.io/library/nginx", true],
    ["docker.io/library/nginx", "docker.io/library/nginx2", false],
  ];
  it.each(cases)("%s matches %s: %s", (glob, text, expected) => {
    expect(matchesGlob(glob, text)).toBe(expected);
  });
});

describe("policyViolation", () => {
  const policy = { allow: ["docker.io/library/*", "quay.io/**"], deny: ["docker.io/library/ubuntu", "quay.io/evil/**"] };

  it("allows what an allow glob matches", () => {
    expect(policyViolation(parseReference("nginx:1.26"), policy)).toBeNull();
    expect(policyViolation(parseReference("quay.io/prometheus/node-exporter:v1"), policy)).toBeNull();
  });

  it("refuses what no allow glob matches, naming policy.allow and the config file", () => {
    expect(policyViolation(parseReference("foo/bar:1"), policy)).toBe(
      "docker.io/foo/bar is not allowed by policy.allow in .github/mirrorbot.yml",
    );
    expect(policyViolation("ghcr.io/a/b", policy, "custom.yml")).toBe("ghcr.io/a/b is not allowed by policy.allow in custom.yml");
  });

  it("lets deny win over allow and names the matching glob", () => {
    expect(policyViolation(parseReference("ubuntu:24.04"), policy)).toBe(
      'docker.io/library/ubuntu is denied by policy.deny ("docker.io/library/ubuntu") in .github/mirrorbot.yml',
    );
    expect(policyViolation(parseReference("quay.io/evil/x/y:1"), policy)).toBe(
      'quay.io/evil/x/y is denied by policy.deny ("quay.io/evil/**") in .github/mirrorbot.yml',
    );
    // Another spelling of Docker Hub's host is still Docker Hub.
    for (const spelling of ["registry-1.docker.io/library/ubuntu:24.04", "INDEX.DOCKER.IO/ubuntu:24.04"]) {
      expect(policyViolation(parseReference(spelling), policy)).toBe(
        'docker.io/library/ubuntu is denied by policy.deny ("docker.io/library/ubuntu") in .github/mirrorbot.yml',
      );
    }
  });

  it("matches the repository, not the tag or digest", () => {
    expect(policyViolation(parseReference("ubuntu@sha256:" + "a".repeat(64)), policy)).toContain("denied");
    expect(policyViolation(parseReference("nginx:ubuntu"), policy)).toBeNull();
  });

  it("allows nothing with an empty allow list", () => {
    expect(policyViolation(parseReference("nginx"), { allow: [], deny: [] })).toBe(
      "docker.io/library/nginx is not allowed by policy.allow in .github/mirrorbot.yml",
    );
  });
});

describe("requestSizeViolation", () => {
  it("accepts up to maxImagesPerRequest and refuses more", () => {
    expect(requestSizeViolation(10, { maxImagesPerRequest: 10 })).toBeNull();
    expect(requestSizeViolation(11, { maxImagesPerRequest: 10 })).toBe(
      "this request asks for 11 images; at most 10 are allowed per request (policy.maxImagesPerRequest in .github/mirrorbot.yml)",
    );
  });
});

describe("policyDiagnostics", () => {
  it("gives one error per refused entry, at the source column", () => {
    const { entries } = parseImagesFile("nginx:1\n--platform=linux/arm64 foo/bar:1\nubuntu:24.04 => os/ubuntu\n");
    const diagnostics = policyDiagnostics(entries, { allow: ["docker.io/library/*"], deny: ["docker.io/library/ubuntu"] }, "images.txt", "cfg.yml");
    expect(diagnostics).toEqual([
      { file: "images.txt", line: 2, column: 24, severity: "error", message: "docker.io/foo/bar is not allowed by policy.allow in cfg.yml" },
      {
        file: "images.txt",
        line: 3,
        column: 1,
        severity: "error",
        message: 'docker.io/library/ubuntu is denied by policy.deny ("docker.io/library/ubuntu") in cfg.yml',
      },
    ]);
  });
});
