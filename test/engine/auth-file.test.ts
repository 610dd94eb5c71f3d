import { readFile, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { authKey, renderAuthFile, writeAuthFile } from "../../src/engine/auth-file.js";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

describe("writeAuthFile", () => {
  it("writes a containers auth.json readable only by the owner, in a private dir", async () => {
    const file = await writeAuthFile([
      { registry: "registry.example.com:5000", username: "bot", password: "p@ss:wörd" },
      { registry: "registry-1.docker.io", username: "hubuser", password: "dckr_pat_x" },
    ]);
    try {
      expect(JSON.parse(await readFile(file.path, "utf8"))).toEqual({
        auths: {
          "registry.example.com:5000": { auth: b64("bot:p@ss:wörd") },
          "docker.io": { auth: b64("hubuser:dckr_pat_x") },
        },
      });
      expect((await stat(file.path)).mode & 0o777).toBe(0o600);
      expect((await stat(dirname(file.path))).mode & 0o777).toBe(0o700);
    } finally {
      await file.dispose();
    }
  });

  it.each(["dispose", "disposeNow"] as const)("%s removes the file and its directory, and may be called twice", async (how) => {
    const file = await writeAuthFile([{ registry: "ghcr.io", username: "u", password: "p" }]);
    await file[how]();
    await expect(stat(file.path)).rejects.toThrow(/ENOENT/);
    await expect(stat(dirname(file.path))).rejects.toThrow(/ENOENT/);
    await file[how]();
  });

  it("gives each call its own directory", async () => {
    const [a, b] = await Promise.all([
      writeAuthFile([{ registry: "ghcr.io", username: "u", password: "p" }]),
      writeAuthFile([{ registry: "ghcr.io", username: "u", password: "p" }]),
    ]);
    expect(dirname(a.path)).not.toBe(dirname(b.path));
    await Promise.all([a.dispose(), b.dispose()]);
  });
});

describe("renderAuthFile", () => {
  it("rejects two different logins for one registry without showing either password", () => {
    const render = () =>
      renderAuthFile([
        { registry: "docker.io", username: "a", password: "first-secret" },
        { registry: "index.docker.io", username: "b", password: "second-secret" },
      ]);
    expect(render).toThrow("two different credentials given for registry docker.io");
    try {
      render();
    } catch (err) {
      expect(String(err)).not.toMatch(/first-secret|second-secret/);
    }
  });

  it("accepts the same login twice", () => {
    const text = renderAuthFile([
      { registry: "ghcr.io", username: "u", password: "p" },
      { registry: "ghcr.io", username: "u", password: "p" },
    ]);
    expect(JSON.parse(text)).toEqual({ auths: { "ghcr.io": { auth: b64("u:p") } } });
  });

  it("rejects a registry with a path", () => {
    expect(() => renderAuthFile([{ registry: "ghcr.io/org", username: "u", password: "p" }])).toThrow('invalid registry for credentials: "ghcr.io/org"');
  });

  it("keys Docker Hub as docker.io", () => {
    expect(authKey("index.docker.io")).toBe("docker.io");
    expect(authKey("DOCKER.IO")).toBe("docker.io");
    expect(authKey("localhost:5000")).toBe("localhost:5000");
  });
});
