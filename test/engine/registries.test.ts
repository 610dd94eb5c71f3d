import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/domain/config.js";
import { Registries } from "../../src/engine/registries.js";

const opened: Registries[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((r) => r.dispose()));
});

describe("Registries.open", () => {
  it.each(["docker.io", "index.docker.io", "registry-1.docker.io", "Docker.IO"])("uses the credentials of a Docker Hub source written as %s", async (spelling) => {
    const config = parseConfig(
      [
        "targets:",
        "  - { name: local, registry: 127.0.0.1:5000, namespace: mirror, tlsVerify: false }",
        "sources:",
        `  - registry: ${spelling}`,
        "    credentials: { usernameEnv: HUB_USER, passwordEnv: HUB_TOKEN }",
        "",
      ].join("\n"),
      ".github/mirrorbot.yml",
    );
    const registries = await Registries.open(config, ["docker.io"], { HUB_USER: "someone", HUB_TOKEN: "not-a-real-token" }, { skopeo: true });
    opened.push(registries);
    expect(registries.get("docker.io").credentialSource).toBe("HUB_USER/HUB_TOKEN");
    expect(registries.authFile).toBeDefined();
    // The native copier (the default) keeps them in memory: no file to leave behind.
    const native = await Registries.open(config, ["docker.io"], { HUB_USER: "someone", HUB_TOKEN: "not-a-real-token" });
    opened.push(native);
    expect(native.get("docker.io").credentialSource).toBe("HUB_USER/HUB_TOKEN");
    expect(native.authFile).toBeUndefined();
    expect(registries.endpoints()).toEqual(["http://127.0.0.1:5000", "https://registry-1.docker.io"]);
  });
});
