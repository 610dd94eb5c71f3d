// Source policy from `.github/mirrorbot.yml`: which repositories may be mirrored and how many
// images one request may ask for.
//
// Globs are matched against the canonical repository, without tag or digest
// ("docker.io/library/nginx"), case-insensitively (registry hosts are; paths are lowercase):
//   *    any run of characters within one path component (no "/"),
//   ?    one character other than "/",
//   **   any run of characters across components; "**/" also matches nothing, so both
//        "docker.io/**/nginx" and "**/nginx" match "docker.io/library/nginx".
// Deny wins over allow. Line comments here because "**/" would end a block comment.
import { DEFAULT_CONFIG_PATH, type PolicyConfig } from "./config.js";
import type { Diagnostic } from "./diagnostic.js";
import type { ImageEntry } from "./images-file.js";
import { repository, type ImageReference } from "./reference.js";

const compiled = new Map<string, RegExp>();

/**
 * Compile a repository glob to an anchored, case-insensitive RegExp.
 * @example globToRegExp("docker.io/library/*").test("docker.io/library/nginx") // true
 * @example globToRegExp("docker.io/*").test("docker.io/library/nginx")         // false: "*" stops at "/"
 */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      let j = i;
      while (glob[j] === "*") j++;
      if (glob[j] === "/") {
        source += "(?:.*/)?";
        i = j;
      } else {
        source += ".*";
        i = j - 1;
      }
    } else if (c === "*") {
      source += "[^/]*";
    } else if (c === "?") {
      source += "[^/]";
    } else {
      source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`, "i");
}

/** True when the repository (or any string) matches the glob. @example matchesGlob("**", "quay.io/a/b") // true */
export function matchesGlob(glob: string, text: string): boolean {
  let re = compiled.get(glob);
  if (!re) {
    re = globToRegExp(glob);
    compiled.set(glob, re);
  }
  return re.test(text);
}

/**
 * Why policy refuses this source, or null when it is allowed. Accepts a parsed reference or a
 * canonical repository string; `configFile` is named in the message.
 * @example policyViolation("docker.io/foo/bar", { ...policy, allow: ["docker.io/library/*"] })
 *   // "docker.io/foo/bar is not allowed by policy.allow in .github/mirrorbot.yml"
 */
export function policyViolation(
  source: ImageReference | string,
  policy: Pick<PolicyConfig, "allow" | "deny">,
  configFile: string = DEFAULT_CONFIG_PATH,
): string | null {
  const repo = typeof source === "string" ? source : repository(source);
  const denied = policy.deny.find((glob) => matchesGlob(glob, repo));
  if (denied !== undefined) return `${repo} is denied by policy.deny (${JSON.stringify(denied)}) in ${configFile}`;
  if (!policy.allow.some((glob) => matchesGlob(glob, repo))) return `${repo} is not allowed by policy.allow in ${configFile}`;
  return null;
}

/**
 * Why a request of `count` images is too large, or null. Count what the requester wrote (lines),
 * before expansion by platforms or targets: the limit is on what one person may ask for.
 */
export function requestSizeViolation(
  count: number,
  policy: Pick<PolicyConfig, "maxImagesPerRequest">,
  configFile: string = DEFAULT_CONFIG_PATH,
): string | null {
  const max = policy.maxImagesPerRequest;
  if (count <= max) return null;
  return `this request asks for ${count} images; at most ${max} are allowed per request (policy.maxImagesPerRequest in ${configFile})`;
}

/** One error diagnostic per entry whose source policy refuses, located at the source reference. */
export function policyDiagnostics(
  entries: readonly ImageEntry[],
  policy: Pick<PolicyConfig, "allow" | "deny">,
  file: string,
  configFile: string = DEFAULT_CONFIG_PATH,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const entry of entries) {
    const message = policyViolation(entry.source, policy, configFile);
    if (message) out.push({ file, line: entry.line, column: entry.column, severity: "error", message });
  }
  return out;
}
