import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/check.js";
import { main } from "../../src/cli/main.js";
import { runCommand, useWorkdirs } from "./helpers.js";

const workdir = useWorkdirs("mirrorbot-check-");

/** Run `check` (or `main`) with captured output. */
const runIn = (cwd: string, argv: string[], command: typeof run = run) => runCommand(command, cwd, argv);

describe("mirrorbot check", () => {
  it("exits 0 and ends with a one-line summary for a valid images.txt in the working directory", async () => {
    const cwd = await workdir({ "images.txt": "# mirror these\nnginx:1.26\n--platform=linux/arm64 mysql:8.0\ngitea/gitea:1.20 => tools/gitea:1.20\n" });
    expect(await runIn(cwd, [])).toEqual({ code: 0, stdout: "images.txt: ok, 3 images to 1 target (3 names)\n", stderr: "" });
  });

  it("says what to do next for a file with no images yet", async () => {
    const cwd = await workdir({ "images.txt": "# mirror these\n" });
    expect(await runIn(cwd, [])).toEqual({ code: 0, stdout: "images.txt: ok, no images yet: add one per line, e.g. nginx:1.26\n", stderr: "" });
  });

  it("exits 0 with warnings on stderr", async () => {
    const cwd = await workdir({ "images.txt": "nginx:1.26\ndocker.io/library/nginx:1.26\n" });
    expect(await runIn(cwd, [])).toEqual({
      code: 0,
      stdout: "images.txt: ok, 1 image to 1 target (1 name), 1 warning\n",
      stderr: "images.txt:2:1: warning: duplicate of line 1 (docker.io/library/nginx:1.26)\n",
    });
  });

  it("exits 1 with FILE:LINE:COL: error lines and a count", async () => {
    const cwd = await workdir({ "list.txt": "nginx:1.26\nNginx:1\n--arch=arm64 redis:7\n" });
    const result = await runIn(cwd, ["list.txt"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines.slice(0, -1).every((l) => /^list\.txt:[23]:\d+: error: /.test(l))).toBe(true);
    expect(lines[0]).toBe('list.txt:2:1: error: invalid reference "Nginx:1": repository name must be lowercase');
    expect(lines.at(-1)).toBe(`list.txt: ${lines.length - 1} errors`);
  });

  it("checks tag sets offline: valid ones pass, a bad clause, a tagged rename or a denied source is FILE:LINE:COL", async () => {
    const ok = await workdir({ "images.txt": "nginx:{semver >=1.26 <1.28, !*-alpine, latest 3}\n--platform=linux/arm64 ghcr.io/a/b:{v*} => tools/b\n" });
    expect(await runIn(ok, [])).toEqual({ code: 0, stdout: "images.txt: ok, 2 tag sets to 1 target\n", stderr: "" });
    const bad = await workdir({
      ".github/mirrorbot.yml": "policy:\n  deny: [docker.io/evil/*]\n",
      "images.txt": "nginx:{semver ^1.26, latest three}\ngitea/gitea:{*} => tools/gitea:1\nevil/x:{*}\n",
    });
    expect(await runIn(bad, [])).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "images.txt:1:29: error: invalid tag set: latest needs a whole number from 1 to 10000, e.g. latest 3\n" +
        'images.txt:2:31: error: a tag set keeps each tag: write the target without a tag, e.g. "=> tools/gitea"\n' +
        'images.txt:3:1: error: docker.io/evil/x is denied by policy.deny ("docker.io/evil/*") in .github/mirrorbot.yml\n' +
        "images.txt: 3 errors\n",
    });
  });

  it("counts naming collisions, using the default target without a config", async () => {
    const cwd = await workdir({ "images.txt": "quay.io/bitnami/nginx:1\ndocker.io/bitnami/nginx:1\n" });
    expect(await runIn(cwd, [])).toEqual({
      code: 1,
      stdout: "",
      stderr:
        'images.txt:2:1: error: docker.io/bitnami/nginx:1 and quay.io/bitnami/nginx:1 (line 1) both map to registry.example.com/mirror/bitnami_nginx:1 on target "default"; give one an explicit name with "=> NAME:TAG"\n' +
        "images.txt: 1 error\n",
    });
  });

  it("names collisions with the configured targets and default platforms", async () => {
    const cwd = await workdir({
      ".github/mirrorbot.yml": "targets:\n  - name: acr\n    registry: registry.cn-hangzhou.aliyuncs.com\n    namespace: mymirror\ndefaults:\n  platforms: [linux/arm64]\n",
      "images.txt": "mysql:8.0\nregistry.k8s.io/mysql:8.0\n",
    });
    expect(await runIn(cwd, [])).toEqual({
      code: 1,
      stdout: "",
      stderr:
        'images.txt:2:1: error: registry.k8s.io/mysql:8.0 for linux/arm64 and docker.io/library/mysql:8.0 for linux/arm64 (line 1) both map to registry.cn-hangzhou.aliyuncs.com/mymirror/mysql:8.0-linux-arm64 on target "acr"; give one an explicit name with "=> NAME:TAG"\n' +
        "images.txt: 1 error\n",
    });
  });

  it("applies the source policy of the config", async () => {
    const cwd = await workdir({
      "cfg.yml": "policy:\n  allow: ['docker.io/library/*']\n  deny: ['docker.io/library/ubuntu']\n",
      "images.txt": "nginx:1.26\nbitnami/redis:7\n  ubuntu:24.04\n",
    });
    expect(await runIn(cwd, ["--config", "cfg.yml"])).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "images.txt:2:1: error: docker.io/bitnami/redis is not allowed by policy.allow in cfg.yml\n" +
        'images.txt:3:3: error: docker.io/library/ubuntu is denied by policy.deny ("docker.io/library/ubuntu") in cfg.yml\n' +
        "images.txt: 2 errors\n",
    });
  });

  it("reads the file named by app.imagesFile when no FILE is given", async () => {
    const cwd = await workdir({ ".github/mirrorbot.yml": "app: {imagesFile: mirror/list.txt}\n", "mirror/list.txt": "nginx:\n" });
    const result = await runIn(cwd, []);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^mirror\/list\.txt:1:6: error: /);
  });

  it("exits 2 with a clear message when the file is missing", async () => {
    const cwd = await workdir({});
    expect(await runIn(cwd, [])).toEqual({ code: 2, stdout: "", stderr: "mirrorbot check: images.txt: no such file\n" });
    expect(await runIn(cwd, ["other.txt"])).toEqual({ code: 2, stdout: "", stderr: "mirrorbot check: other.txt: no such file\n" });
  });

  it("exits 2 on a config error, printing each problem with the file and key path", async () => {
    const cwd = await workdir({
      ".github/mirrorbot.yml": "targets:\n  - registry: r.example.com\n    naming: {style: flatt}\nengine: {concurency: 2}\n",
      "images.txt": "nginx\n",
    });
    expect(await runIn(cwd, [])).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'mirrorbot check: .github/mirrorbot.yml: targets[0].naming.style: expected one of "flat" | "nested", got "flatt"\n' +
        'mirrorbot check: .github/mirrorbot.yml: engine.concurency: unknown key; did you mean "concurrency"?\n',
    });
  });

  it("cuts a 100 kB line when echoing it and shows invisible and bidi characters as escapes", async () => {
    const cwd = await workdir({ "images.txt": `nginx:1.26\nevil\u202Eimage:1\u200B\n${"a".repeat(100_000)}:1\n` });
    const result = await runIn(cwd, []);
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe('images.txt:2:5: error: invalid reference "evil\\u{202E}image:1\\u{200B}": invalid character "\\u{202E}" in path component "evil\\u{202E}image"');
    expect(lines[1]).toMatch(new RegExp(`^images\\.txt:3:1: error: invalid reference "a{200}…": repository name must not be more than 255 characters`));
    expect(lines[1]!.length).toBeLessThan(1000);
    expect(result.stderr).not.toMatch(/[\u200B\u202E]/);
  });

  it("exits 2 on a YAML alias bomb, with a config error instead of a crash", async () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...["b", "c", "d", "e", "f", "g"].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcdef"[i]}`).join(",")}]`)];
    const cwd = await workdir({ ".github/mirrorbot.yml": `${bomb.join("\n")}\n`, "images.txt": "nginx\n" });
    expect(await runIn(cwd, [])).toEqual({
      code: 2,
      stdout: "",
      stderr: 'mirrorbot check: .github/mirrorbot.yml: YAML aliases expand to too many nodes (more than 100 aliases resolved): an alias bomb is refused; write the values out instead\n',
    });
  });

  it("exits 2 when --config names a missing file", async () => {
    const cwd = await workdir({ "images.txt": "nginx\n" });
    expect(await runIn(cwd, ["--config", "nope.yml"])).toEqual({ code: 2, stdout: "", stderr: "mirrorbot check: nope.yml: no such file\n" });
  });

  it("exits 2 on usage errors", async () => {
    const cwd = await workdir({ "images.txt": "nginx\n" });
    expect(await runIn(cwd, ["--jsno"])).toEqual({
      code: 2,
      stdout: "",
      stderr: `mirrorbot check: unknown option '--jsno'\nRun "mirrorbot check --help" for usage.\n`,
    });
    expect((await runIn(cwd, ["a.txt", "b.txt"])).stderr).toBe(`mirrorbot check: unexpected argument "b.txt"\nRun "mirrorbot check --help" for usage.\n`);
    expect((await runIn(cwd, ["--config"])).code).toBe(2);
  });

  it("prints help on --help and exits 0", async () => {
    const result = await runIn(await workdir({}), ["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: mirrorbot check \[FILE\] \[--config PATH\]\n/);
    expect(result.stderr).toBe("");
  });
});

describe("mirrorbot (main)", () => {
  it("dispatches to a command", async () => {
    const cwd = await workdir({ "images.txt": "nginx:\n" });
    const result = await runIn(cwd, ["check"], main);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^images\.txt:1:6: error: /);
  });

  it("exits 2 on a missing or unknown command, listing the commands", async () => {
    const cwd = await workdir({});
    const missing = await runIn(cwd, [], main);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^mirrorbot: missing command\nUsage: mirrorbot COMMAND/);
    const unknown = await runIn(cwd, ["sink"], main);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^mirrorbot: unknown command "sink"\n/);
    expect(unknown.stderr).toMatch(/^ {2}check +check images\.txt/m);
    expect(unknown.stderr).toMatch(/^ {2}plan +/m);
    expect((await runIn(cwd, ["toString"], main)).code).toBe(2);
  });

  it("prints the command list on --help", async () => {
    const result = await runIn(await workdir({}), ["--help"], main);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: mirrorbot COMMAND \[ARGS\]/);
  });

  it("prints the JSON Schema that docs/mirrorbot.schema.json holds", async () => {
    const result = await runIn(await workdir({}), ["schema"], main);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(await readFile(new URL("../../docs/mirrorbot.schema.json", import.meta.url), "utf8"));
  });

  it("starts with a node shebang", async () => {
    const source = await readFile(new URL("../../src/cli/main.ts", import.meta.url), "utf8");
    expect(source.split("\n")[0]).toBe("#!/usr/bin/env node");
  });

  // The built bin, when `npm run build` has produced one at least as new as the sources.
  const repo = fileURLToPath(new URL("../../", import.meta.url));
  const bin = join(repo, "dist/src/cli/main.js");
  const fresh = (() => {
    if (!existsSync(bin)) return false;
    const built = statSync(bin).mtimeMs;
    return ["src/cli", "src/domain"].every((dir) =>
      readdirSync(join(repo, dir)).every((f) => !f.endsWith(".ts") || statSync(join(repo, dir, f)).mtimeMs <= built),
    );
  })();
  it.runIf(fresh)("runs as a process: exit codes and stderr from the built bin", async () => {
    const cwd = await workdir({ "images.txt": "nginx:1.26\nnginx:\n" });
    const spawn = (args: string[]) =>
      new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(process.execPath, [bin, ...args], { cwd, timeout: 20_000 }, (err, _stdout, stderr) => {
          resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stderr });
        });
      });
    const bad = await spawn(["check"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^images\.txt:2:6: error: /);
    expect((await spawn(["check", "missing.txt"])).code).toBe(2);
    await writeFile(join(cwd, "images.txt"), "nginx:1.26\n");
    expect(await spawn(["check"])).toEqual({ code: 0, stderr: "" });
  });
});
