import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialsError, credentialsFromAuthFiles, credentialsFromEnv } from "../../src/engine/credentials.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mirrorbot-creds-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const names = { usernameEnv: "ACR_USER", passwordEnv: "ACR_PASS" };

describe("credentialsFromEnv", () => {
  it("reads the variables the config names", () => {
    expect(credentialsFromEnv("r.example.com", names, "targets[0]", { ACR_USER: "u", ACR_PASS: "p" })).toEqual({ registry: "r.example.com", username: "u", password: "p" });
  });

  it("treats an empty variable (an unset Actions secret) as missing, and names it", () => {
    expect(() => credentialsFromEnv("r.example.com", names, 'targets[0] "acr"', { ACR_USER: "u", ACR_PASS: "" })).toThrow(
      new CredentialsError('targets[0] "acr": environment variable ACR_PASS (credentials.passwordEnv) is not set'),
    );
  });

  it("names both variables when both are missing", () => {
    expect(() => credentialsFromEnv("r.example.com", names, 'targets[0] "acr"', {})).toThrow(
      'targets[0] "acr": environment variables ACR_USER (credentials.usernameEnv) and ACR_PASS (credentials.passwordEnv) are not set',
    );
  });
});

describe("credentialsFromAuthFiles", () => {
  it("uses an existing docker config login, and Docker Hub's legacy key", async () => {
    const docker = join(dir, "config.json");
    await writeFile(
      docker,
      JSON.stringify({
        auths: {
          "https://index.docker.io/v1/": { auth: Buffer.from("hubuser:hubtoken").toString("base64") },
          "harbor.example.com": { auth: Buffer.from("robot$ci:pa:ss").toString("base64") },
        },
      }),
    );
    const files = [join(dir, "missing.json"), docker];
    expect(await credentialsFromAuthFiles("docker.io", files)).toEqual({ registry: "docker.io", username: "hubuser", password: "hubtoken" });
    expect(await credentialsFromAuthFiles("harbor.example.com", files)).toEqual({ registry: "harbor.example.com", username: "robot$ci", password: "pa:ss" });
    expect(await credentialsFromAuthFiles("quay.io", files)).toBeNull();
  });

  describe("through docker credential helpers", () => {
    let helperEnv: NodeJS.ProcessEnv;
    beforeAll(async () => {
      // A stand-in for docker-credential-osxkeychain and friends: the server on stdin, JSON out.
      const bin = join(dir, "bin");
      await mkdir(bin, { recursive: true });
      const script = [
        "#!/usr/bin/env node",
        'let server = "";',
        'process.stdin.on("data", (c) => (server += c)).on("end", () => {',
        '  const logins = { "https://index.docker.io/v1/": ["hub-user", "hub-secret"], "ghcr.io": ["gh-user", "gh-secret"], "acr.example.com": ["<token>", "refresh"] };',
        "  const login = logins[server.trim()];",
        '  if (!login) { process.stdout.write("credentials not found in native keychain"); process.exit(1); }',
        "  process.stdout.write(JSON.stringify({ ServerURL: server.trim(), Username: login[0], Secret: login[1] }));",
        "});",
      ].join("\n");
      for (const name of ["docker-credential-fake", "docker-credential-store"]) {
        await writeFile(join(bin, name), script);
        await chmod(join(bin, name), 0o755);
      }
      helperEnv = { PATH: `${bin}:${process.env.PATH ?? ""}` };
    });

    const config = async (name: string, contents: object) => {
      const file = join(dir, name);
      await writeFile(file, JSON.stringify(contents));
      return [file];
    };

    it("asks the helper named for the registry in credHelpers, and Docker Hub by its v1 URL", async () => {
      const files = await config("helpers.json", { credHelpers: { "ghcr.io": "fake", "docker.io": "fake" } });
      expect(await credentialsFromAuthFiles("ghcr.io", files, { env: helperEnv })).toEqual({ registry: "ghcr.io", username: "gh-user", password: "gh-secret" });
      expect(await credentialsFromAuthFiles("docker.io", files, { env: helperEnv })).toEqual({ registry: "docker.io", username: "hub-user", password: "hub-secret" });
    });

    it("asks the credsStore helper, then falls back to inline logins when it has none", async () => {
      const files = await config("store.json", { credsStore: "store", auths: { "quay.io": { auth: Buffer.from("q:w").toString("base64") } } });
      expect(await credentialsFromAuthFiles("ghcr.io", files, { env: helperEnv })).toEqual({ registry: "ghcr.io", username: "gh-user", password: "gh-secret" });
      expect(await credentialsFromAuthFiles("quay.io", files, { env: helperEnv })).toEqual({ registry: "quay.io", username: "q", password: "w" });
    });

    it("skips identity tokens, missing helpers and helper names that are paths", async () => {
      expect(await credentialsFromAuthFiles("acr.example.com", await config("token.json", { credsStore: "fake" }), { env: helperEnv })).toBeNull();
      expect(await credentialsFromAuthFiles("ghcr.io", await config("missing.json", { credsStore: "desktop" }), { env: helperEnv })).toBeNull();
      expect(await credentialsFromAuthFiles("ghcr.io", await config("path.json", { credsStore: "../bin/fake" }), { env: helperEnv })).toBeNull();
    });
  });
});
