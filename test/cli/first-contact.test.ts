/** What a new user meets first: the version, and sync without a config. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { run as sync } from "../../src/cli/sync.js";
import { runCommand, useWorkdirs } from "./helpers.js";

const workdir = useWorkdirs("mirrorbot-first-");
const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

describe("first contact", () => {
  it("mirrorbot --version prints the package version", async () => {
    const cwd = await workdir({});
    expect(await runCommand(main, cwd, ["--version"])).toEqual({ code: 0, stdout: `mirrorbot ${pkg.version}\n`, stderr: "" });
  });

  it("sync without a config exits 2 and points at init, contacting nothing", async () => {
    const cwd = await workdir({ "images.txt": "nginx:1.26\n" });
    expect(await runCommand((argv, io) => sync(argv, io, {}), cwd, [])).toEqual({
      code: 2,
      stdout: "",
      stderr: 'mirrorbot sync: no .github/mirrorbot.yml: run "npx mirrorbot init" to write one for your registry (or pass --config PATH)\n',
    });
  });

  it("the help names init for a first run", async () => {
    const cwd = await workdir({});
    const out = await runCommand(main, cwd, ["--help"]);
    expect(out.stdout).toMatch(/^ {2}init +write \.github\/mirrorbot\.yml for your registry and check the login$/m);
    expect(out.stdout).toContain('New here? "mirrorbot init" sets up your target registry.');
  });
});
