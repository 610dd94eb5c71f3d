import { afterEach, describe, expect, it, vi } from "vitest";
import { copyArgs, lastSkopeoMessage, SkopeoError, skopeoCopy } from "../../src/engine/skopeo.js";

const request = {
  source: { reference: "docker.io/library/nginx@sha256:" + "a".repeat(64), tlsVerify: true, authFile: "/tmp/x/auth.json" },
  destination: { reference: "127.0.0.1:5000/mirror/nginx:1.26", tlsVerify: false, authFile: "/tmp/x/auth.json" },
  all: true,
};

describe("copyArgs", () => {
  it("copies the whole index by digest, keeps digests, and passes credentials only as auth files", () => {
    expect(copyArgs(request)).toEqual([
      "copy",
      "--retry-times",
      "0",
      "--all",
      "--preserve-digests",
      "--src-tls-verify=true",
      "--dest-tls-verify=false",
      "--src-authfile",
      "/tmp/x/auth.json",
      "--dest-authfile",
      "/tmp/x/auth.json",
      "docker://docker.io/library/nginx@sha256:" + "a".repeat(64),
      "docker://127.0.0.1:5000/mirror/nginx:1.26",
    ]);
    expect(copyArgs(request).some((a) => /creds|password|username/.test(a))).toBe(false);
  });

  it("asks for the pushed digest in a file when given one", () => {
    const args = copyArgs({ ...request, digestFile: "/tmp/y/digest" });
    expect(args.slice(args.indexOf("--digestfile"), args.indexOf("--digestfile") + 2)).toEqual(["--digestfile", "/tmp/y/digest"]);
    expect(args.slice(-2)).toEqual(copyArgs(request).slice(-2));
  });

  it("copies a single platform manifest without --all", () => {
    expect(copyArgs({ ...request, all: false })).not.toContain("--all");
  });
});

describe("skopeo failures", () => {
  it("shows skopeo's last message without its log prefix", () => {
    expect(lastSkopeoMessage('time="x" level=fatal msg="Error initializing source docker://x: reading manifest 37.404.0 in docker.io/library/app: received unexpected HTTP status: 503"\n')).toBe(
      "Error initializing source docker://x: reading manifest 37.404.0 in docker.io/library/app: received unexpected HTTP status: 503",
    );
  });
});

describe("skopeoCopy", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("says how to get skopeo when it cannot be run, and does not retry that", async () => {
    vi.stubEnv("MIRRORBOT_SKOPEO", "/nonexistent/skopeo");
    const error = await skopeoCopy(request).then(
      () => null,
      (e: unknown) => e as SkopeoError,
    );
    expect(error).toBeInstanceOf(SkopeoError);
    expect([error?.message, error?.transient]).toEqual([
      "cannot run /nonexistent/skopeo (ENOENT): install skopeo (apt-get install skopeo, brew install skopeo) or set MIRRORBOT_SKOPEO to its path",
      false,
    ]);
  });
});

