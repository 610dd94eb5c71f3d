/**
 * Tag rules: a set of tags of one repository, written after the repository in braces.
 *
 *   nginx:{semver >=1.26 <1.28, !*-alpine, latest 3}
 *
 * `{` can never appear in a Docker tag, so `REPO:{...}` is never mistaken for a plain
 * reference, and the braces show where the set starts and ends. Clauses, comma-separated:
 *
 *   PATTERN          a glob on the whole tag (`*` any run, `?` one character), e.g. `v1.*`,
 *                    `*` alone is every tag; a literal tag matches itself. Patterns are OR-ed.
 *   /REGEX/          a JavaScript regular expression that must match the whole tag (OR-ed
 *                    with the patterns). Nested quantifiers are refused: they can run for ever.
 *   semver RANGE     a range as npm's semver reads it (`^1.26`, `>=1.26 <1.28`, `1.26.x`),
 *                    matched against the tag's version: a leading `v` is dropped, `1.26`
 *                    reads as `1.26.0`, and a suffix is a variant (`-alpine`, `-bookworm`)
 *                    unless it is a prerelease marker (`-rc1`, `-beta.2`, `-alpha`).
 *   variant GLOB     which variant suffix a version clause takes; without it, version clauses
 *                    take tags with no variant, unless a pattern picks the tags.
 *   pre              include prereleases in version clauses (excluded by default).
 *   latest N         keep the N highest versions (registries give no tag dates).
 *   !PATTERN, !/RE/  exclude the tags it matches.
 *
 * Every tag is matched as a whole, so the set a rule names never depends on tag order.
 * Versions are compared with the maintained `semver` package; only reading a tag into a
 * version (prefix, partial version, variant vs prerelease) is done here, because no
 * library reads Docker tags that way (regclient#1041 is what a plain semver parse gets wrong).
 */
import { createRequire } from "node:module";

type Semver = typeof import("semver");
let loaded: Semver | undefined;
/** semver, loaded on first use: most runs have no tag rule, and loading it is a good part of the CLI's start. */
function semver(): Semver {
  return (loaded ??= createRequire(import.meta.url)("semver") as Semver);
}

/** A pattern clause: a glob or a regular expression on the whole tag. */
export interface TagMatcher {
  readonly kind: "glob" | "regex";
  /** As written, without the "!" of an exclusion. */
  readonly source: string;
  readonly test: (tag: string) => boolean;
}

/** A parsed tag rule. */
export interface TagRule {
  /** The clauses as written between the braces, trimmed. */
  readonly text: string;
  /** OR-ed patterns; empty means every tag. */
  readonly include: readonly TagMatcher[];
  /** npm semver range, or null. */
  readonly range: string | null;
  /** Glob on the variant suffix for version clauses; null = no variant (unless a pattern picks). */
  readonly variant: string | null;
  readonly prereleases: boolean;
  readonly exclude: readonly TagMatcher[];
  /** Keep the N highest versions; null = no limit besides the cap. */
  readonly latest: number | null;
}

/** A rule that does not parse; `column` is 1-based within the text between the braces. */
export class TagRuleError extends Error {
  constructor(
    readonly reason: string,
    readonly column: number,
  ) {
    super(`${reason} (column ${column})`);
    this.name = "TagRuleError";
  }
}

/** A tag read as a version. */
export interface TagVersion {
  /** Normalized for semver, e.g. "1.26.0" or "1.27.0-rc.1". */
  readonly version: string;
  /** The variant suffix without its dash ("alpine", "slim-bookworm"), or null. */
  readonly variant: string | null;
  readonly prerelease: boolean;
  /** How many numeric parts were written (1.26 -> 2): finer tags sort first among equals. */
  readonly precision: number;
}

const TAG_VERSION = /^[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-(.+))?$/;
const PRERELEASE_WORD = /^(?:alpha|beta|rc|pre|preview|dev|snapshot|nightly|canary)(?:\.?\d+)*$/i;
const NUMBER_WORD = /^\d+(?:\.\d+)*$/;
const GLOB_TEXT = /^[A-Za-z0-9_.*?-]+$/;
const MAX_REGEX_LENGTH = 200;
/**
 * A group that is one quantified atom, itself quantified: `(a+)+`, `(\w*)*`, `([0-9]+){2,}`,
 * the classic exponential patterns. `(\.\d+)*` stays allowed: its literal dot keeps it linear.
 */
const NESTED_QUANTIFIER = /\((?:\?:)?(?:\\.|\[(?:[^\]\\]|\\.)*\]|[^()\\|[])[+*]\??\)(?:[+*]|\{\d+,?\d*\})/;
const MAX_LATEST = 10_000;

/**
 * Read a tag as a version, or null when it is not one ("latest", "mainline", "3.13.0a1").
 * @example tagVersion("v1.26.3-alpine") // { version: "1.26.3", variant: "alpine", prerelease: false, precision: 3 }
 * @example tagVersion("1.27.0-rc.1")    // { version: "1.27.0-rc.1", variant: null, prerelease: true, precision: 3 }
 */
export function tagVersion(tag: string): TagVersion | null {
  const m = TAG_VERSION.exec(tag);
  if (!m) return null;
  const [, major = "0", minor, patch, suffix] = m;
  const precision = patch !== undefined ? 3 : minor !== undefined ? 2 : 1;
  const core = [major, minor ?? "0", patch ?? "0"].map((n) => String(Number(n))).join(".");
  const pre: string[] = [];
  let rest: string[] = [];
  if (suffix !== undefined) {
    const parts = suffix.split("-");
    if (parts.some((p) => p === "")) return null;
    let i = 0;
    if (PRERELEASE_WORD.test(parts[0]!)) {
      pre.push(parts[0]!);
      i = 1;
      while (i < parts.length && NUMBER_WORD.test(parts[i]!)) pre.push(parts[i++]!);
    }
    rest = parts.slice(i);
  }
  const prerelease = pre.length > 0 ? pre.join(".").replace(/([a-z])(\d)/gi, "$1.$2").toLowerCase() : null;
  const version = prerelease === null ? core : `${core}-${prerelease}`;
  if (semver().valid(version) === null) return null;
  return { version, variant: rest.length > 0 ? rest.join("-") : null, prerelease: prerelease !== null, precision };
}

/**
 * Order tags newest first: versions by semver (finer and un-prefixed first among equals),
 * then every other tag by name.
 * @example orderTags(["latest", "1.26", "v1.27.0", "1.26.3"]) // ["v1.27.0", "1.26.3", "1.26", "latest"]
 */
export function orderTags(tags: readonly string[]): string[] {
  const read = new Map(tags.map((t) => [t, tagVersion(t)]));
  return [...tags].sort((a, b) => {
    const va = read.get(a) ?? null;
    const vb = read.get(b) ?? null;
    if (va && vb) {
      const byVersion = semver().rcompare(va.version, vb.version);
      if (byVersion !== 0) return byVersion;
      if (va.precision !== vb.precision) return vb.precision - va.precision;
      if ((va.variant === null) !== (vb.variant === null)) return va.variant === null ? -1 : 1;
      const vPrefix = Number(/^v/i.test(a)) - Number(/^v/i.test(b));
      if (vPrefix !== 0) return vPrefix;
    } else if (va || vb) {
      return va ? -1 : 1;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/**
 * The tags of `tags` the rule selects, newest first (see {@link orderTags}).
 * @example matchTags(parseTagRule("semver ^1.26, latest 2"), ["1.26.0", "1.26.1", "1.27.0-rc1", "1.26.1-alpine"]) // ["1.26.1", "1.26.0"]
 */
export function matchTags(rule: TagRule, tags: readonly string[]): string[] {
  const versioned = rule.range !== null || rule.latest !== null;
  const selected = tags.filter((tag) => {
    if (rule.include.length > 0 && !rule.include.some((m) => m.test(tag))) return false;
    if (rule.exclude.some((m) => m.test(tag))) return false;
    if (!versioned) return true;
    const v = tagVersion(tag);
    if (v === null) return false;
    if (v.prerelease && !rule.prereleases) return false;
    if (rule.variant !== null) {
      if (!globRegExp(rule.variant).test(v.variant ?? "")) return false;
    } else if (rule.include.length === 0 && v.variant !== null) {
      return false;
    }
    return rule.range === null || semver().satisfies(v.version, rule.range, { includePrerelease: rule.prereleases });
  });
  const ordered = orderTags([...new Set(selected)]);
  return rule.latest === null ? ordered : ordered.slice(0, rule.latest);
}

/**
 * Parse the clauses between the braces of a tag set. Throws TagRuleError with a column.
 * @example parseTagRule("semver >=1.26 <1.28, !*-alpine, latest 3").range // ">=1.26 <1.28"
 */
export function parseTagRule(text: string): TagRule {
  const include: TagMatcher[] = [];
  const exclude: TagMatcher[] = [];
  let range: string | null = null;
  let variant: string | null = null;
  let prereleases = false;
  let latest: number | null = null;
  const clauses = splitClauses(text);
  if (clauses.every((c) => c.text === "")) throw new TagRuleError("the tag set is empty; write e.g. {semver ^1.26} or {*} for every tag", 1);
  for (const clause of clauses) {
    const { text: c, offset } = clause;
    const col = offset + 1;
    if (c === "") throw new TagRuleError("empty clause between commas", col);
    const word = /^([a-z]+)(?:\s+([\s\S]*))?$/.exec(c);
    const keyword = word?.[1];
    const arg = word?.[2]?.trim() ?? "";
    const argCol = col + c.length - (word?.[2]?.trimStart().length ?? 0);
    if (keyword === "semver") {
      if (range !== null) throw new TagRuleError("semver is given twice; join the ranges in one clause, e.g. semver >=1.26 <1.28", col);
      if (arg === "") throw new TagRuleError("semver needs a range, e.g. semver ^1.26", col);
      if (semver().validRange(arg) === null) throw new TagRuleError(`${JSON.stringify(arg)} is not a semver range; e.g. ^1.26, ~1.26.3, >=1.26 <1.28, 1.26.x`, argCol);
      range = arg;
    } else if (keyword === "latest" && arg !== "") {
      if (latest !== null) throw new TagRuleError("latest is given twice", col);
      if (!/^[1-9]\d*$/.test(arg) || Number(arg) > MAX_LATEST) throw new TagRuleError(`latest needs a whole number from 1 to ${MAX_LATEST}, e.g. latest 3`, argCol);
      latest = Number(arg);
    } else if (keyword === "variant") {
      if (variant !== null) throw new TagRuleError("variant is given twice; use a glob, e.g. variant alpine*", col);
      if (!GLOB_TEXT.test(arg)) throw new TagRuleError("variant needs a glob of tag characters, e.g. variant alpine or variant *", arg === "" ? col : argCol);
      variant = arg;
    } else if (keyword === "pre" && arg === "") {
      prereleases = true;
    } else if (c.startsWith("!")) {
      const rest = c.slice(1).trimStart();
      exclude.push(matcher(rest, col + c.length - rest.length));
    } else {
      include.push(matcher(c, col));
    }
  }
  return { text: text.trim(), include, range, variant, prereleases, exclude, latest };
}

/**
 * The index of the `}` closing the tag set whose `{` is at `open`, skipping `/regex/`
 * clauses (a regex may hold `}` and `,`); -1 when it is not closed.
 * @example ruleEnd("nginx:{/^1\\.\\d{2}$/} => x", 6) // 20
 */
export function ruleEnd(line: string, open: number): number {
  let clauseStart = true;
  for (let i = open + 1; i < line.length; i++) {
    const c = line[i]!;
    if (clauseStart && c === "/") {
      const close = regexEnd(line, i);
      if (close === -1) return -1;
      i = close;
      clauseStart = false;
      continue;
    }
    if (c === "}") return i;
    if (c === ",") clauseStart = true;
    else if (!/[\s!]/.test(c)) clauseStart = false;
  }
  return -1;
}

/** Index of the unescaped "/" closing the regex that opens at `start`; -1 when none. */
function regexEnd(text: string, start: number): number {
  let inClass = false;
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\") i++;
    else if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    else if (c === "/" && !inClass) return i;
  }
  return -1;
}

function splitClauses(text: string): Array<{ text: string; offset: number }> {
  const out: Array<{ text: string; offset: number }> = [];
  let start = 0;
  let clauseStart = true;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === undefined || c === ",") {
      const raw = text.slice(start, i);
      const lead = raw.length - raw.trimStart().length;
      out.push({ text: raw.trim(), offset: start + lead });
      start = i + 1;
      clauseStart = true;
      continue;
    }
    if (clauseStart && c === "/") {
      const close = regexEnd(text, i);
      if (close === -1) throw new TagRuleError("regular expression has no closing /", i + 1);
      i = close;
      clauseStart = false;
    } else if (!/[\s!]/.test(c)) {
      clauseStart = false;
    }
  }
  return out;
}

function matcher(text: string, column: number): TagMatcher {
  if (text.startsWith("/")) {
    const close = regexEnd(text, 0);
    if (close !== text.length - 1) throw new TagRuleError("a regular expression clause is /REGEX/ and nothing else", column);
    const body = text.slice(1, -1);
    if (body === "") throw new TagRuleError("empty regular expression", column);
    if (body.length > MAX_REGEX_LENGTH) throw new TagRuleError(`regular expression is longer than ${MAX_REGEX_LENGTH} characters`, column);
    if (NESTED_QUANTIFIER.test(body)) throw new TagRuleError("nested quantifiers like (a+)+ are refused: they can take exponential time", column);
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${body})$`, "u");
    } catch (err) {
      throw new TagRuleError(`invalid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, "")}`, column);
    }
    return { kind: "regex", source: text, test: (tag) => re.test(tag) };
  }
  if (text === "") throw new TagRuleError('"!" needs a pattern after it, e.g. !*-alpine', column);
  if (!GLOB_TEXT.test(text)) {
    const bad = [...text].findIndex((ch) => !/[A-Za-z0-9_.*?-]/.test(ch));
    const ch = text[bad] ?? "";
    const hint = /\s/.test(ch)
      ? "; a keyword clause is semver, variant, latest or pre"
      : "; a pattern has tag characters and * or ?, a regular expression is written /REGEX/";
    throw new TagRuleError(`unexpected ${JSON.stringify(ch)} in pattern ${JSON.stringify(text)}${hint}`, column + Math.max(0, bad));
  }
  const re = globRegExp(text);
  return { kind: "glob", source: text, test: (tag) => re.test(tag) };
}

function globRegExp(glob: string): RegExp {
  const body = [...glob].map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.]/g, "\\."))).join("");
  return new RegExp(`^${body}$`);
}

/**
 * Up to `max` existing tags closest to `wanted`: the same version first (`v2.346` finds
 * `2.346`), then the smallest edit distance, ties newest first.
 * @example suggestTags("v2.346", ["2.346", "2.347", "latest"]) // ["2.346", "2.347"]
 */
export function suggestTags(wanted: string, tags: readonly string[], max = 3): string[] {
  const want = tagVersion(wanted);
  const plain = wanted.replace(/^v(?=\d)/i, "").toLowerCase();
  const limit = Math.max(2, Math.floor(plain.length / 3));
  const scored: Array<{ tag: string; score: number }> = [];
  for (const tag of tags) {
    if (tag === wanted) continue;
    const v = tagVersion(tag);
    if (want && v && want.version === v.version && want.variant === v.variant) {
      scored.push({ tag, score: 0 });
      continue;
    }
    const d = editDistance(plain, tag.replace(/^v(?=\d)/i, "").toLowerCase());
    if (d <= limit) scored.push({ tag, score: 1 + d });
  }
  const order = new Map(orderTags(scored.map((s) => s.tag)).map((t, i) => [t, i]));
  scored.sort((a, b) => a.score - b.score || order.get(a.tag)! - order.get(b.tag)!);
  return scored.slice(0, max).map((s) => s.tag);
}

/** Levenshtein distance; tags are at most 128 characters, so the table stays small. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The rule as it is written in a line, e.g. "{semver ^1.26, latest 3}". */
export function formatTagRule(rule: TagRule): string {
  return `{${rule.text}}`;
}
