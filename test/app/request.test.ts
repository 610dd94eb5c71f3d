import { describe, expect, it } from "vitest";
import { parseConfig, type Config } from "../../src/domain/config.js";
import { planLines, requestLine, validateRequest } from "../../src/app/request.js";
import { parseEntryLine } from "../../src/domain/images-file.js";
import { CONFIG } from "./helpers/github.js";

const config: Config = parseConfig(CONFIG, ".github/mirrorbot.yml");
const item = (text: string, platforms: string[] = []) => ({ text, platforms });

describe("validateRequest", () => {
  it("plans the request: re-serialized lines, new lines, target names", () => {
    const v = validateRequest([item("docker.io/library/nginx:1.26"), item("mysql:8.0", ["linux/arm64", "linux/amd64"])], config, "nginx:1.26\n");
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.plan.lines).toEqual(["nginx:1.26", "--platform=linux/arm64 mysql:8.0", "--platform=linux/amd64 mysql:8.0"]);
    expect(v.plan.newLines).toEqual(["--platform=linux/arm64 mysql:8.0", "--platform=linux/amd64 mysql:8.0"]);
    expect(v.plan.rows.map((r) => r.reference)).toEqual([
      "registry.cn-hangzhou.aliyuncs.com/mirror/nginx:1.26",
      "registry.cn-hangzhou.aliyuncs.com/mirror/mysql:8.0-linux-arm64",
      "registry.cn-hangzhou.aliyuncs.com/mirror/mysql:8.0-linux-amd64",
    ]);
  });

  it("lets a line's own --platform win over the request's platforms, and drops repeats", () => {
    const v = validateRequest([item("--platform=linux/arm/v7 redis:7", ["linux/amd64"]), item("redis:7 --platform linux/armhf")], config, "");
    expect(v.ok && v.plan.lines).toEqual(["--platform=linux/arm/v7 redis:7"]);
  });

  it("counts every platform of a --platform list against maxImagesPerRequest", () => {
    const platforms = ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386", "linux/ppc64le", "linux/s390x"];
    const v = validateRequest([item("nginx:1.26", platforms), item("redis:7", platforms)], config, "");
    expect(!v.ok && v.problems[0]).toEqual({
      image: null,
      message: "this request asks for 12 images; at most 10 are allowed per request (policy.maxImagesPerRequest in .github/mirrorbot.yml)",
    });
  });

  it("lists every problem: syntax, platform, policy, size, collisions", () => {
    const strict = parseConfig(`${CONFIG}policy:\n  deny: ["docker.io/evil/*"]\n  maxImagesPerRequest: 4\n`, ".github/mirrorbot.yml");
    const v = validateRequest(
      [item("nginx::1"), item("redis:7", ["linux/sparc-ish"]), item("evil/miner:1"), item("quay.io/bitnami/nginx:1"), item("bitnami/nginx:1")],
      strict,
      "ghcr.io/bitnami/nginx:2 => bitnami/nginx:1\n",
      ["unknown option `--force`; only `--platform=os/arch` is understood"],
    );
    expect(v.ok).toBe(false);
    expect(!v.ok && v.problems).toMatchInlineSnapshot(`
      [
        {
          "image": null,
          "message": "unknown option \`--force\`; only \`--platform=os/arch\` is understood",
        },
        {
          "image": null,
          "message": "this request asks for 5 images; at most 4 are allowed per request (policy.maxImagesPerRequest in .github/mirrorbot.yml)",
        },
        {
          "image": "nginx::1",
          "message": "invalid reference "nginx::1": tag ":1" must start with a letter, digit or "_"",
        },
        {
          "image": "redis:7",
          "message": "unknown architecture "sparc-ish" in platform "linux/sparc-ish"",
        },
        {
          "image": "evil/miner:1",
          "message": "docker.io/evil/miner is denied by policy.deny ("docker.io/evil/*") in .github/mirrorbot.yml",
        },
        {
          "image": "bitnami/nginx:1",
          "message": "docker.io/bitnami/nginx:1 and quay.io/bitnami/nginx:1 both map to registry.cn-hangzhou.aliyuncs.com/mirror/bitnami_nginx:1 on target "acr"; give one an explicit name with "=> NAME:TAG"",
        },
        {
          "image": "quay.io/bitnami/nginx:1",
          "message": "quay.io/bitnami/nginx:1 and ghcr.io/bitnami/nginx:2 (images.txt line 1) both map to registry.cn-hangzhou.aliyuncs.com/mirror/bitnami_nginx:1 on target "acr"; give one an explicit name with "=> NAME:TAG"",
        },
        {
          "image": "bitnami/nginx:1",
          "message": "docker.io/bitnami/nginx:1 and ghcr.io/bitnami/nginx:2 (images.txt line 1) both map to registry.cn-hangzhou.aliyuncs.com/mirror/bitnami_nginx:1 on target "acr"; give one an explicit name with "=> NAME:TAG"",
        },
      ]
    `);
  });

  it("reports a collision inside the request", () => {
    const v = validateRequest([item("quay.io/bitnami/nginx:1"), item("bitnami/nginx:1")], config, "");
    expect(!v.ok && v.problems).toMatchInlineSnapshot(`
      [
        {
          "image": "bitnami/nginx:1",
          "message": "docker.io/bitnami/nginx:1 and quay.io/bitnami/nginx:1 both map to registry.cn-hangzhou.aliyuncs.com/mirror/bitnami_nginx:1 on target "acr"; give one an explicit name with "=> NAME:TAG"",
        },
      ]
    `);
  });

  it("refuses an empty request", () => {
    expect(validateRequest([], config, "")).toEqual({
      ok: false,
      problems: [{ image: null, message: "no images given; write one image per line, e.g. `nginx:1.26`" }],
    });
  });
});

describe("requestLine and planLines", () => {
  it("serializes entries in Docker's short form", () => {
    expect(requestLine(parseEntryLine("docker.io/library/nginx:1.26 --platform=linux/arm64/v8 => web/nginx").entry!)).toBe(
      "--platform=linux/arm64 nginx:1.26 => web/nginx",
    );
  });

  it("keeps the full name when the short one would name another registry", () => {
    const line = (text: string) => requestLine(parseEntryLine(text).entry!);
    expect(line("docker.io/evil.com/x:1")).toBe("docker.io/evil.com/x:1");
    expect(line("docker.io/localhost/x:1 --platform=linux/amd64")).toBe("--platform=linux/amd64 docker.io/localhost/x:1");
    expect(line("docker.io/bitnami/redis:7")).toBe("bitnami/redis:7");
    expect(line("quay.io/evil.com/x:1")).toBe("quay.io/evil.com/x:1");
  });

  it("validates a Docker Hub path that looks like a host against the Docker Hub policy, and keeps it on Docker Hub", () => {
    const strict = parseConfig(`${CONFIG}policy:\n  allow: ["docker.io/**"]\n`, ".github/mirrorbot.yml");
    const v = validateRequest([item("docker.io/evil.com/x:1")], strict, "");
    expect(v.ok && v.plan.lines).toEqual(["docker.io/evil.com/x:1"]);
    expect(validateRequest([item("evil.com/x:1")], strict, "").ok).toBe(false);
  });

  it("does not count accepted lines against maxImagesPerRequest when told so, and still checks everything else", () => {
    const small = parseConfig(`${CONFIG}policy:\n  maxImagesPerRequest: 1\n  deny: ["docker.io/evil/*"]\n`, ".github/mirrorbot.yml");
    expect(validateRequest([item("redis:7"), item("nginx:1.26")], small, "", [], { checkSize: false }).ok).toBe(true);
    expect(validateRequest([item("redis:7"), item("evil/miner:1")], small, "", [], { checkSize: false })).toEqual({
      ok: false,
      problems: [{ image: "evil/miner:1", message: 'docker.io/evil/miner is denied by policy.deny ("docker.io/evil/*") in .github/mirrorbot.yml' }],
    });
  });

  it("plans accepted lines without validating them, dropping unparsable ones", () => {
    expect(planLines(["redis:7", "not a line"], config)).toMatchObject({ lines: ["redis:7"], newLines: [] });
  });
});
