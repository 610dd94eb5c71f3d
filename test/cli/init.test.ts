/** `mirrorbot init` against a real htpasswd registry: the file it writes, the login check, the secrets it names. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/domain/config.js";
import { run } from "../../src/cli/init.js";
import { countWrites } from "../harness/access-log.js";
import { type RunningRegistry, startRegistry } from "../harness/registry.js";
import { useWorkdirs } from "./helpers.js";

const TIMEOUT = 60_000;
const AUTH = { username: "robot$mirror+ci", password: "init-Check-pa55word" };
const workdir = useWorkdirs("mirrorbot-init-");
let registry: RunningRegistry;

beforeAll(async () => {
  registry = await startRegistry({ auth: AUTH });
}, TIMEOUT);
afterAll(async () => {
  await registry?.stop();
});

/** Run init in `cwd` with no terminal, or with `answers` typed into one. */
async function init(cwd: string, argv: string[], env: Record<string, string> = {}, answers?: string[]) {
  let stdout = "";
  let stderr = "";
  const stdin = new PassThrough();
  if (answers) stdin.end(answers.map((a) => `${a}\n`).join(""));
  const code = await run(
    argv,
    { cwd, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } },
    env,
    { stdin, interactive: answers !== undefined },
  );
  return { code, stdout, stderr };
}

const flags = () => ["--preset", "harbor", "--registry", registry.host, "--namespace", "library", "--insecure", "--username-env", "T_USER", "--password-env", "T_PASS"];

describe("mirrorbot init", () => {
  it("writes a config the loader accepts, checks the login with no writes, and names the secrets and gh lines", async () => {
    const cwd = await workdir({});
    const before = (await registry.settledAccessLog()).length;
    const out = await init(cwd, [...flags(), "--repo", "acme/mirror"], { T_USER: AUTH.username, T_PASS: AUTH.password });
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    const text = await readFile(join(cwd, ".github/mirrorbot.yml"), "utf8");
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../docs/mirrorbot.schema.json");
    const config = await loadConfig(undefined, { cwd });
    expect(config.targets).toEqual([
      {
        name: "harbor",
        copier: "native",
        registry: registry.host,
        namespace: "library",
        naming: { style: "nested", separator: "_", includeSourceRegistry: false, lowercase: false, platformTag: "suffix" },
        tlsVerify: false,
        credentials: { usernameEnv: "T_USER", passwordEnv: "T_PASS" },
      },
    ]);
    const log = (await registry.settledAccessLog()).slice(before);
    expect(log.length).toBeGreaterThan(0);
    expect(countWrites(log)).toBe(0);
    expect(out.stdout).toContain(`Login to ${registry.host} as robot$mirror+ci: ok (checked without writing anything).`);
    expect(out.stdout).toContain("  gh secret set T_USER --repo acme/mirror\n  gh secret set T_PASS --repo acme/mirror\n");
    expect(out.stdout).toContain("Add T_USER: ${{ secrets.T_USER }} and T_PASS: ${{ secrets.T_PASS }} to the env: of the Sync step");
    expect(out.stdout.trimEnd().split("\n").at(-1)).toBe("Next: list images in images.txt (echo nginx:1.26 >> images.txt), then run npx mirrorbot plan and npx mirrorbot sync.");
    expect(out.stdout + out.stderr).not.toContain(AUTH.password);
  }, TIMEOUT);

  it("exits 1 with the credentials hint when the registry refuses the login, and never prints the password", async () => {
    const cwd = await workdir({});
    const wrong = "Wr0ng-init-pa55word";
    const out = await init(cwd, flags(), { T_USER: AUTH.username, T_PASS: wrong });
    expect(out.code).toBe(1);
    expect(out.stderr).toBe(`mirrorbot init: the registry refused the login: authentication failed for ${registry.host}: 401 UNAUTHORIZED (check T_USER/T_PASS)\n`);
    expect(out.stdout + out.stderr).not.toContain(wrong);
  }, TIMEOUT);

  it("writes the file and says how to check later when the variables are not set", async () => {
    const cwd = await workdir({});
    const out = await init(cwd, flags());
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("Login not checked: set T_USER and T_PASS in this shell");
  }, TIMEOUT);

  it("asks in a terminal, offering each preset and its defaults", async () => {
    const cwd = await workdir({});
    const out = await init(cwd, ["--no-check"], {}, ["acr-personal", "registry.cn-hangzhou.aliyuncs.com", "mymirror", "", ""]);
    expect(out.code).toBe(0);
    expect(out.stderr).toContain("  1. acr-personal    Aliyun ACR, personal edition");
    const config = await loadConfig(undefined, { cwd });
    expect(config.targets.map((t) => [t.name, t.registry, t.namespace, t.naming.style, t.credentials])).toEqual([
      ["acr-personal", "registry.cn-hangzhou.aliyuncs.com", "mymirror", "flat", { usernameEnv: "ALIYUN_USERNAME", passwordEnv: "ALIYUN_PASSWORD" }],
    ]);
    expect(out.stdout).toContain("  gh secret set ALIYUN_USERNAME --repo OWNER/REPO\n");
    expect(out.stdout).not.toContain("to the env: of the Sync step");
  }, TIMEOUT);

  it("needs the flags a preset has no default for when there is no terminal (exit 2)", async () => {
    const cwd = await workdir({});
    const out = await init(cwd, ["--preset", "acr-personal", "--no-check"]);
    expect(out).toEqual({
      code: 2,
      stdout: "",
      stderr: 'mirrorbot init: --registry is needed for Aliyun ACR, personal edition, e.g. --registry registry.cn-hangzhou.aliyuncs.com\nRun "mirrorbot init --help" for usage.\n',
    });
  });

  it("refuses to overwrite an existing file without --force, and refuses a bad answer before writing", async () => {
    const cwd = await workdir({ ".github/mirrorbot.yml": "targets: []\n" });
    const kept = await init(cwd, [...flags(), "--no-check"]);
    expect(kept.code).toBe(2);
    expect(kept.stderr).toBe("mirrorbot init: .github/mirrorbot.yml exists; pass --force to overwrite it\n");
    expect(await readFile(join(cwd, ".github/mirrorbot.yml"), "utf8")).toBe("targets: []\n");

    const bad = await init(cwd, ["--preset", "ghcr", "--namespace", "My Org", "--force", "--no-check"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^mirrorbot init: nothing written: namespace: expected a path under the registry/);
    expect(await readFile(join(cwd, ".github/mirrorbot.yml"), "utf8")).toBe("targets: []\n");

    const forced = await init(cwd, ["--preset", "ghcr", "--namespace", "My-Org", "--force", "--no-check"]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("Secrets: none to create for the workflow: it fills GHCR_USERNAME and GHCR_TOKEN from its own GITHUB_TOKEN.");
    expect((await loadConfig(undefined, { cwd })).targets[0]!.naming.lowercase).toBe(true);
  });
});
