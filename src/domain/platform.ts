/**
 * Platforms `os/arch[/variant]`, validated against Go's GOOS/GOARCH lists and normalized the
 * way containerd's `platforms.Normalize` does, so equal platforms have one spelling:
 *
 * - case does not matter: "Linux/AMD64" is linux/amd64;
 * - aliases: x86_64, x86-64 -> amd64; aarch64 -> arm64; i386 -> 386; armhf -> arm/v7;
 *   armel -> arm/v6; macos -> darwin;
 * - default variants are dropped or filled in: arm64/v8 (also "8", "v8.0") is arm64;
 *   amd64/v1 is amd64; arm64 "9"/"v9.0" is v9; arm alone is arm/v7 (containerd's default),
 *   and arm "5"/"6"/"7"/"8" become v5..v8.
 */

/** A normalized platform; `variant` is absent when it is the architecture's default. */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** A platform string that does not parse; `column` is 1-based in that string. */
export class PlatformError extends Error {
  readonly column: number;
  constructor(message: string, column = 1) {
    super(message);
    this.column = column;
  }
}

/** GOOS values Go knows (go/build syslist). */
export const KNOWN_OS: readonly string[] = [
  "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux",
  "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos",
];

/** GOARCH values Go knows (go/build syslist). */
export const KNOWN_ARCHITECTURES: readonly string[] = [
  "386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips", "mipsle",
  "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv", "riscv64",
  "s390", "s390x", "sparc", "sparc64", "wasm",
];

/** Variants allowed after normalization; an architecture not listed takes no variant. */
export const KNOWN_VARIANTS: Readonly<Record<string, readonly string[]>> = {
  amd64: ["v2", "v3", "v4"],
  arm: ["v5", "v6", "v7", "v8"],
  arm64: ["v8.1", "v8.2", "v8.3", "v8.4", "v8.5", "v8.6", "v8.7", "v8.8", "v8.9", "v9", "v9.1", "v9.2", "v9.3", "v9.4", "v9.5"],
  ppc64le: ["power8", "power9", "power10"],
  riscv64: ["rva20u64", "rva22u64", "rva23u64"],
};

const OS_ALIASES: Readonly<Record<string, string>> = { macos: "darwin" };
const ARCH_ALIASES: Readonly<Record<string, { architecture: string; variant?: string }>> = {
  x86_64: { architecture: "amd64" },
  "x86-64": { architecture: "amd64" },
  aarch64: { architecture: "arm64" },
  i386: { architecture: "386" },
  armhf: { architecture: "arm", variant: "v7" },
  armel: { architecture: "arm", variant: "v6" },
};

/** Map aliases and default variants to one spelling; never throws (unknown values pass through lowercased). */
export function normalizePlatform(p: Platform): Platform {
  const rawOs = p.os.toLowerCase();
  const os = OS_ALIASES[rawOs] ?? rawOs;
  const rawArch = p.architecture.toLowerCase();
  const alias = ARCH_ALIASES[rawArch];
  const architecture = alias?.architecture ?? rawArch;
  let variant = alias?.variant ?? p.variant?.toLowerCase() ?? "";
  switch (architecture) {
    case "amd64":
      if (variant === "v1") variant = "";
      break;
    case "arm64":
      if (variant === "8" || variant === "v8" || variant === "v8.0") variant = "";
      else if (variant === "9" || variant === "9.0" || variant === "v9.0") variant = "v9";
      break;
    case "arm":
      if (variant === "" || variant === "7") variant = "v7";
      else if (variant === "5" || variant === "6" || variant === "8") variant = `v${variant}`;
      break;
  }
  return variant === "" ? { os, architecture } : { os, architecture, variant };
}

/**
 * Parse and normalize `os/arch[/variant]`; throws PlatformError.
 * @example parsePlatform("linux/arm64/v8") // { os: "linux", architecture: "arm64" }
 * @example parsePlatform("linux/armhf")    // { os: "linux", architecture: "arm", variant: "v7" }
 */
export function parsePlatform(input: string): Platform {
  const q = JSON.stringify(input);
  if (input === "") throw new PlatformError('platform is empty; expected os/arch[/variant], e.g. "linux/amd64"');
  const parts = input.split("/");
  const starts: number[] = [];
  let offset = 0;
  for (const part of parts) {
    starts.push(offset + 1);
    offset += part.length + 1;
  }
  if (parts.length === 1) {
    const lone = input.toLowerCase();
    const hint = KNOWN_ARCHITECTURES.includes(ARCH_ALIASES[lone]?.architecture ?? lone)
      ? `; write "linux/${input}"`
      : ', e.g. "linux/amd64"';
    throw new PlatformError(`platform ${q} must be os/arch[/variant]${hint}`, 1);
  }
  if (parts.length > 3) {
    throw new PlatformError(`platform ${q} has too many parts; expected os/arch[/variant]`, starts[3]);
  }
  const [rawOs = "", rawArch = "", rawVariant] = parts;
  const names = ["operating system", "architecture", "variant"];
  parts.forEach((part, i) => {
    if (part === "") throw new PlatformError(`platform ${q} has an empty ${names[i]}`, starts[i]);
  });

  const p = normalizePlatform({
    os: rawOs,
    architecture: rawArch,
    ...(rawVariant !== undefined ? { variant: rawVariant } : {}),
  });
  if (!KNOWN_OS.includes(p.os)) {
    throw new PlatformError(`unknown operating system ${JSON.stringify(rawOs)} in platform ${q}`, starts[0]);
  }
  if (!KNOWN_ARCHITECTURES.includes(p.architecture)) {
    throw new PlatformError(`unknown architecture ${JSON.stringify(rawArch)} in platform ${q}`, starts[1]);
  }
  if (rawVariant !== undefined) {
    const alias = ARCH_ALIASES[rawArch.toLowerCase()];
    if (alias?.variant !== undefined && normalizePlatform({ os: "linux", architecture: alias.architecture, variant: rawVariant }).variant !== alias.variant) {
      throw new PlatformError(
        `architecture ${JSON.stringify(rawArch)} already means ${alias.architecture}/${alias.variant}; variant ${JSON.stringify(rawVariant)} contradicts it in platform ${q}`,
        starts[2],
      );
    }
  }
  if (p.variant !== undefined) {
    const known = KNOWN_VARIANTS[p.architecture];
    if (known === undefined) {
      throw new PlatformError(
        `architecture ${JSON.stringify(p.architecture)} takes no variant, got ${JSON.stringify(rawVariant ?? p.variant)} in platform ${q}`,
        starts[2],
      );
    }
    if (!known.includes(p.variant)) {
      throw new PlatformError(
        `unknown variant ${JSON.stringify(rawVariant ?? p.variant)} for architecture ${JSON.stringify(p.architecture)} in platform ${q} (known: ${defaultVariantsHint(p.architecture, known)})`,
        starts[2],
      );
    }
  }
  return p;
}

function defaultVariantsHint(architecture: string, known: readonly string[]): string {
  const defaults: Record<string, string> = { amd64: "v1", arm64: "v8" };
  const d = defaults[architecture];
  return (d !== undefined ? [d, ...known] : known).join(", ");
}

/** The normalized string form. @example formatPlatform({ os: "linux", architecture: "arm", variant: "v7" }) // "linux/arm/v7" */
export function formatPlatform(p: Platform): string {
  const n = normalizePlatform(p);
  return n.variant !== undefined ? `${n.os}/${n.architecture}/${n.variant}` : `${n.os}/${n.architecture}`;
}

/** True when both name the same platform after normalization (linux/arm64/v8 equals linux/arm64). */
export function samePlatform(a: Platform, b: Platform): boolean {
  return formatPlatform(a) === formatPlatform(b);
}
