import { describe, expect, it } from "vitest";
import {
  PlatformError,
  formatPlatform,
  normalizePlatform,
  parsePlatform,
  samePlatform,
} from "../../src/domain/platform.js";

function platformError(input: string): PlatformError {
  try {
    parsePlatform(input);
  } catch (e) {
    if (e instanceof PlatformError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe("parsePlatform normalizes like containerd", () => {
  it.each([
    ["linux/amd64", "linux/amd64"],
    ["linux/arm64", "linux/arm64"],
    ["linux/arm64/v8", "linux/arm64"],
    ["linux/arm64/8", "linux/arm64"],
    ["linux/arm64/v8.0", "linux/arm64"],
    ["linux/arm64/v8.2", "linux/arm64/v8.2"],
    ["linux/arm64/9", "linux/arm64/v9"],
    ["linux/arm64/v9.0", "linux/arm64/v9"],
    ["linux/aarch64", "linux/arm64"],
    ["linux/aarch64/v8", "linux/arm64"],
    ["linux/x86_64", "linux/amd64"],
    ["linux/x86-64", "linux/amd64"],
    ["linux/amd64/v1", "linux/amd64"],
    ["linux/amd64/v3", "linux/amd64/v3"],
    ["linux/i386", "linux/386"],
    ["linux/386", "linux/386"],
    ["linux/armhf", "linux/arm/v7"],
    ["linux/armel", "linux/arm/v6"],
    ["linux/armhf/v7", "linux/arm/v7"],
    ["linux/armhf/7", "linux/arm/v7"],
    // containerd's default: plain arm is arm/v7.
    ["linux/arm", "linux/arm/v7"],
    ["linux/arm/7", "linux/arm/v7"],
    ["linux/arm/v7", "linux/arm/v7"],
    ["linux/arm/v6", "linux/arm/v6"],
    ["linux/arm/5", "linux/arm/v5"],
    ["linux/arm/8", "linux/arm/v8"],
    ["LINUX/AMD64", "linux/amd64"],
    ["Linux/ARM64/V8", "linux/arm64"],
    ["linux/ppc64le", "linux/ppc64le"],
    ["linux/ppc64le/power9", "linux/ppc64le/power9"],
    ["linux/s390x", "linux/s390x"],
    ["linux/riscv64", "linux/riscv64"],
    ["linux/riscv64/rva22u64", "linux/riscv64/rva22u64"],
    ["linux/mips64le", "linux/mips64le"],
    ["linux/loong64", "linux/loong64"],
    ["windows/amd64", "windows/amd64"],
    ["darwin/arm64", "darwin/arm64"],
    ["macos/arm64", "darwin/arm64"],
    ["freebsd/amd64", "freebsd/amd64"],
    ["wasip1/wasm", "wasip1/wasm"],
  ])("%s -> %s", (input, expected) => {
    expect(formatPlatform(parsePlatform(input))).toBe(expected);
  });

  it("returns plain objects without an absent variant key", () => {
    expect(parsePlatform("linux/arm64/v8")).toStrictEqual({ os: "linux", architecture: "arm64" });
    expect(parsePlatform("linux/arm")).toStrictEqual({ os: "linux", architecture: "arm", variant: "v7" });
  });
});

describe("parsePlatform rejects with a message naming the problem", () => {
  it.each([
    ["linux/amd65", 'unknown architecture "amd65" in platform "linux/amd65"', 7],
    ["linx/amd64", 'unknown operating system "linx" in platform "linx/amd64"', 1],
    ["linux", 'platform "linux" must be os/arch[/variant], e.g. "linux/amd64"', 1],
    ["arm64", 'platform "arm64" must be os/arch[/variant]; write "linux/arm64"', 1],
    ["aarch64", 'platform "aarch64" must be os/arch[/variant]; write "linux/aarch64"', 1],
    ["", 'platform is empty; expected os/arch[/variant], e.g. "linux/amd64"', 1],
    ["linux/arm/v7/x", 'platform "linux/arm/v7/x" has too many parts; expected os/arch[/variant]', 14],
    ["linux/", 'platform "linux/" has an empty architecture', 7],
    ["/amd64", 'platform "/amd64" has an empty operating system', 1],
    ["linux/arm64/", 'platform "linux/arm64/" has an empty variant', 13],
    ["linux/arm/v9", 'unknown variant "v9" for architecture "arm" in platform "linux/arm/v9" (known: v5, v6, v7, v8)', 11],
    ["linux/arm64/v7", 'unknown variant "v7" for architecture "arm64" in platform "linux/arm64/v7" (known: v8, v8.1, v8.2, v8.3, v8.4, v8.5, v8.6, v8.7, v8.8, v8.9, v9, v9.1, v9.2, v9.3, v9.4, v9.5)', 13],
    ["linux/amd64/v5", 'unknown variant "v5" for architecture "amd64" in platform "linux/amd64/v5" (known: v1, v2, v3, v4)', 13],
    ["linux/386/v2", 'architecture "386" takes no variant, got "v2" in platform "linux/386/v2"', 11],
    ["linux/s390x/z14", 'architecture "s390x" takes no variant, got "z14" in platform "linux/s390x/z14"', 13],
    ["linux/armhf/v6", 'architecture "armhf" already means arm/v7; variant "v6" contradicts it in platform "linux/armhf/v6"', 13],
    [" linux/amd64", 'unknown operating system " linux" in platform " linux/amd64"', 1],
  ])("%j", (input, message, column) => {
    const e = platformError(input);
    expect(e.message).toBe(message);
    expect(e.column).toBe(column);
    expect(e).toBeInstanceOf(Error);
  });
});

describe("samePlatform", () => {
  it.each([
    ["linux/arm64/v8", "linux/arm64", true],
    ["linux/aarch64", "linux/arm64/v8", true],
    ["linux/arm", "linux/arm/v7", true],
    ["linux/armhf", "linux/arm/v7", true],
    ["linux/x86_64", "linux/amd64/v1", true],
    ["LINUX/AMD64", "linux/amd64", true],
    ["linux/arm/v6", "linux/arm/v7", false],
    ["linux/amd64", "linux/arm64", false],
    ["linux/amd64", "windows/amd64", false],
    ["linux/amd64", "linux/amd64/v2", false],
  ])("%s vs %s -> %s", (a, b, same) => {
    expect(samePlatform(parsePlatform(a), parsePlatform(b))).toBe(same);
  });

  it("normalizes platforms built by hand too", () => {
    expect(samePlatform({ os: "Linux", architecture: "aarch64", variant: "v8" }, { os: "linux", architecture: "arm64" })).toBe(true);
    expect(normalizePlatform({ os: "linux", architecture: "arm" })).toStrictEqual({ os: "linux", architecture: "arm", variant: "v7" });
    expect(formatPlatform({ os: "linux", architecture: "arm64", variant: "v8" })).toBe("linux/arm64");
  });
});
