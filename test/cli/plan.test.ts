import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/plan.js";
import { runCommand, useWorkdirs } from "./helpers.js";

const bareWorkdir = useWorkdirs("mirrorbot-plan-");
// plan needs a target: every test gets this one unless it writes its own config.
const TARGET = "targets:\n  - { name: default, registry: mirror.example.net, namespace: mirror }\n";
const workdir = (files: Record<string, string>) => bareWorkdir({ ".github/mirrorbot.yml": TARGET, ...files });
const plan = (cwd: string, argv: string[]) => runCommand(run, cwd, argv);

const HEX = "0123456789abcdef".repeat(4);
const IMAGES = [
  "# mirror these",
  "nginx:1.26",
  "--platform=linux/arm64 mysql:8.0   # arm runners",
  "gitea/gitea:1.20 => tools/gitea:1.20",
  `registry.k8s.io/pause@sha256:${HEX}`,
  "",
].join("\n");

describe("mirrorbot plan --json", () => {
  it("prints exactly a JSON array of {line, source, platform, target} for the configured target", async () => {
    const cwd = await workdir({ "images.txt": IMAGES });
    const result = await plan(cwd, ["--json"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual([
      { line: 2, source: "docker.io/library/nginx:1.26", platform: null, target: "mirror.example.net/mirror/nginx:1.26" },
      { line: 3, source: "docker.io/library/mysql:8.0", platform: "linux/arm64", target: "mirror.example.net/mirror/mysql:8.0-linux-arm64" },
      { line: 4, source: "docker.io/gitea/gitea:1.20", platform: null, target: "mirror.example.net/mirror/tools_gitea:1.20" },
      {
        line: 5,
        source: `registry.k8s.io/pause@sha256:${HEX}`,
        platform: null,
        target: `mirror.example.net/mirror/pause:sha256-${HEX}`,
      },
    ]);
  });

  it("gives one row per (entry, target), with default platforms expanded", async () => {
    const cwd = await workdir({
      "images.txt": "nginx:1.26\n--platform=linux/arm/v7 redis:7\n",
      "mirror.yml": [
        "targets:",
        "  - name: acr",
        "    registry: registry.cn-hangzhou.aliyuncs.com",
        "    namespace: mymirror",
        "  - name: harbor",
        "    registry: harbor.example.com",
        "    namespace: mirror",
        "    naming: { style: nested }",
        "defaults:",
        "  platforms: [linux/amd64, linux/arm64]",
      ].join("\n"),
    });
    const result = await plan(cwd, ["--config", "mirror.yml", "--json"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).map((r: { line: number; platform: string | null; target: string }) => [r.line, r.platform, r.target])).toEqual([
      [1, "linux/amd64", "registry.cn-hangzhou.aliyuncs.com/mymirror/nginx:1.26-linux-amd64"],
      [1, "linux/amd64", "harbor.example.com/mirror/library/nginx:1.26-linux-amd64"],
      [1, "linux/arm64", "registry.cn-hangzhou.aliyuncs.com/mymirror/nginx:1.26-linux-arm64"],
      [1, "linux/arm64", "harbor.example.com/mirror/library/nginx:1.26-linux-arm64"],
      [2, "linux/arm/v7", "registry.cn-hangzhou.aliyuncs.com/mymirror/redis:7-linux-arm-v7"],
      [2, "linux/arm/v7", "harbor.example.com/mirror/library/redis:7-linux-arm-v7"],
    ]);
  });

  it("prints [] for a file without entries", async () => {
    const cwd = await workdir({ "images.txt": "# nothing yet\n" });
    expect(await plan(cwd, ["--json"])).toEqual({ code: 0, stdout: "[]\n", stderr: "" });
  });

  it("keeps stdout empty and exits 1 when the file has errors", async () => {
    const cwd = await workdir({ "images.txt": "nginx:1.26\nquay.io/bitnami/nginx:1\ndocker.io/bitnami/nginx:1\n--platform=linux/arm65 redis\n" });
    const result = await plan(cwd, ["--json"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.split("\n")).toEqual([
      'images.txt:3:1: error: docker.io/bitnami/nginx:1 and quay.io/bitnami/nginx:1 (line 2) both map to mirror.example.net/mirror/bitnami_nginx:1 on target "default"; give one an explicit name with "=> NAME:TAG"',
      'images.txt:4:18: error: unknown architecture "arm65" in platform "linux/arm65"',
      "images.txt: 2 errors",
      "",
    ]);
  });

  it("prints warnings on stderr and still plans", async () => {
    const cwd = await workdir({ "images.txt": "nginx:1.26\nnginx:1.26\n" });
    const result = await plan(cwd, ["--json"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveLength(1);
    expect(result.stderr).toBe("images.txt:2:1: warning: duplicate of line 1 (docker.io/library/nginx:1.26)\n");
  });
});

describe("mirrorbot plan (table)", () => {
  it("prints an aligned table of line, source, platform and target", async () => {
    const cwd = await workdir({ "images.txt": IMAGES });
    const result = await plan(cwd, []);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const source = `registry.k8s.io/pause@sha256:${HEX}`;
    const w = source.length;
    expect(result.stdout).toBe(
      [
        `LINE  ${"SOURCE".padEnd(w)}  PLATFORM     TARGET`,
        `2     ${"nginx:1.26".padEnd(w)}  all          mirror.example.net/mirror/nginx:1.26`,
        `3     ${"mysql:8.0".padEnd(w)}  linux/arm64  mirror.example.net/mirror/mysql:8.0-linux-arm64`,
        `4     ${"gitea/gitea:1.20".padEnd(w)}  all          mirror.example.net/mirror/tools_gitea:1.20`,
        `5     ${source}  all          mirror.example.net/mirror/pause:sha256-${HEX}`,
        "",
      ].join("\n"),
    );
  });

  it("says so on stderr when there is nothing to plan", async () => {
    const cwd = await workdir({ "list.txt": "\n" });
    expect(await plan(cwd, ["list.txt"])).toEqual({ code: 0, stdout: "", stderr: "list.txt: no images to mirror\n" });
  });
});

describe("mirrorbot plan errors", () => {
  it("exits 2 on a config error", async () => {
    const cwd = await workdir({ "images.txt": "nginx\n", ".github/mirrorbot.yml": "targets:\n  - registry: r.example.com\n    naming: {style: flatt}\n" });
    expect(await plan(cwd, ["--json"])).toEqual({
      code: 2,
      stdout: "",
      stderr: 'mirrorbot plan: .github/mirrorbot.yml: targets[0].naming.style: expected one of "flat" | "nested", got "flatt"\n',
    });
  });

  it("exits 2 without a config, or with one that names no targets, and points at init", async () => {
    const none = await bareWorkdir({ "images.txt": "nginx:1.26\n" });
    expect(await plan(none, [])).toEqual({
      code: 2,
      stdout: "",
      stderr: 'mirrorbot plan: no .github/mirrorbot.yml: run "npx mirrorbot init" to write one for your registry (or pass --config PATH)\n',
    });
    const empty = await bareWorkdir({ "images.txt": "nginx:1.26\n", ".github/mirrorbot.yml": "# nothing yet\n" });
    expect((await plan(empty, [])).stderr).toBe(
      'mirrorbot plan: .github/mirrorbot.yml names no targets: run "npx mirrorbot init" to write one for your registry (or pass --config PATH)\n',
    );
  });

  it("exits 2 on a missing file or bad arguments", async () => {
    const cwd = await workdir({});
    expect(await plan(cwd, [])).toEqual({ code: 2, stdout: "", stderr: "mirrorbot plan: images.txt: no such file\n" });
    expect(await plan(cwd, ["--format=json"])).toEqual({
      code: 2,
      stdout: "",
      stderr: `mirrorbot plan: unknown option '--format'\nRun "mirrorbot plan --help" for usage.\n`,
    });
  });

  it("prints help on --help", async () => {
    const result = await plan(await workdir({}), ["-h"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: mirrorbot plan \[FILE\] \[--config PATH\] \[--json\]\n/);
  });
});
