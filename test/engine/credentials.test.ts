import { mkdtemp, rm, writeFile } from "node:fs/promises";
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
});
