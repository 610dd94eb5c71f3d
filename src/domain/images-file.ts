/**
 * images.txt: one image per line, compatible with docker_image_pusher-style files.
 *
 *   # full-line comment
 *   nginx:1.26                          # trailing comment (a "#" after whitespace)
 *   --platform=linux/arm64 redis:7      # also "--platform linux/arm64 redis:7"
 *   redis:7 --platform=linux/arm64      # flags may also come after the image
 *   gitea/gitea:1.20 => tools/gitea:1.20  # explicit target path (+ tag) below the namespace
 *   nginx:{semver ^1.26, !*-alpine}     # a tag set: every tag the rule matches (docs/tag-rules.md)
 *
 * Blank lines, CRLF endings, a missing final newline, surrounding whitespace and a UTF-8 BOM
 * are accepted. Edits (addEntries/removeEntries) change only the lines they add or remove.
 */
import { type Diagnostic, sortDiagnostics } from "./diagnostic.js";
import { PlatformError, type Platform, formatPlatform, parsePlatform } from "./platform.js";
import { type ImageReference, ReferenceError, canonical, parseReference, parseRepositoryPath } from "./reference.js";
import { type TagRule, TagRuleError, formatTagRule, parseTagRule, ruleEnd } from "./tag-rule.js";

/** One valid line of images.txt. */
export interface ImageEntry {
  /** 1-based line in the file. */
  line: number;
  /** 1-based column where the source reference starts. */
  column: number;
  /** The entry as written, without comment, trimmed. */
  text: string;
  source: ImageReference;
  /** From --platform; null means every platform of the image. */
  platform: Platform | null;
  /** Right side of "=>", e.g. "tools/gitea:1.20"; null when not given. */
  rename: string | null;
  /**
   * The tag set the line names (`nginx:{semver ^1.26}`). Before expansion `source` has
   * neither tag nor digest; an expanded entry keeps its rule and has one tag of the set.
   */
  rule?: TagRule;
}

/** True for a tag set not yet expanded into tags (see src/engine/expand.ts). */
export function isTagSet(entry: Pick<ImageEntry, "source" | "rule">): boolean {
  return entry.rule !== undefined && entry.source.tag === undefined && entry.source.digest === undefined;
}

/** Some given lines are invalid; nothing was changed. */
export class ImagesFileError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(message: string, diagnostics: Diagnostic[]) {
    super(message);
    this.diagnostics = diagnostics;
  }
}

const DEFAULT_FILE = "images.txt";
const BOM = "\uFEFF";
const ARROW = "=>";

interface Token {
  text: string;
  /** 0-based offset in the line. */
  start: number;
}

interface LineResult {
  entry: ImageEntry | null;
  diagnostics: Diagnostic[];
}

/**
 * Parse and check a whole images.txt in one pass: every problem is a diagnostic with its line
 * and column; duplicate entries (same canonical source, platform and target) are warnings.
 */
export function parseImagesFile(text: string, file = DEFAULT_FILE): { entries: ImageEntry[]; diagnostics: Diagnostic[] } {
  const entries: ImageEntry[] = [];
  const diagnostics: Diagnostic[] = [];
  const firstByKey = new Map<string, ImageEntry>();
  splitLines(text).forEach((segment, index) => {
    const content = index === 0 && segment.content.startsWith(BOM) ? segment.content.slice(BOM.length) : segment.content;
    const result = parseLine(content, index + 1, file);
    diagnostics.push(...result.diagnostics);
    if (!result.entry) return;
    const entry = result.entry;
    const key = entryKey(entry);
    const first = firstByKey.get(key);
    if (first) {
      diagnostics.push({
        file,
        line: entry.line,
        column: entry.column,
        severity: "warning",
        message: `duplicate of line ${first.line} (${formatEntry(entry)})`,
      });
    } else {
      firstByKey.set(key, entry);
    }
    entries.push(entry);
  });
  return { entries, diagnostics: sortDiagnostics(diagnostics) };
}

/**
 * Parse one line of images.txt syntax (e.g. one line of a request). A blank or comment-only
 * line gives `{ entry: null, diagnostics: [] }`; an invalid one gives null and errors.
 * @example parseEntryLine("--platform linux/arm64 nginx:1.26 # why").entry?.platform // { os: "linux", architecture: "arm64" }
 */
export function parseEntryLine(line: string, lineNo = 1, file = DEFAULT_FILE): { entry: ImageEntry | null; diagnostics: Diagnostic[] } {
  const stripped = line.replace(/\r?\n$|\r$/, "");
  const lineBreak = stripped.search(/[\r\n]/);
  if (lineBreak !== -1) {
    return {
      entry: null,
      diagnostics: [error(file, lineNo, lineBreak, "expected a single line, found a line break; give one entry per line")],
    };
  }
  return parseLine(stripped, lineNo, file);
}

/**
 * Append the given lines (images.txt syntax) that are not already present, comparing
 * normalized entries (canonical source, platform, target). Every other byte is kept; the
 * file's line-ending style is used. Throws ImagesFileError if a given line is invalid.
 * @example addEntries("nginx:1.26\r\n", ["docker.io/library/nginx:1.26", "redis:7"]) // { text: "nginx:1.26\r\nredis:7\r\n", added: ["redis:7"] }
 */
export function addEntries(text: string, lines: string[]): { text: string; added: string[] } {
  const given = parseGivenLines(lines, "add");
  const present = new Set(parseImagesFile(text).entries.map(entryKey));
  const added: string[] = [];
  for (const { entry, text: lineText } of given) {
    const key = entryKey(entry);
    if (present.has(key)) continue;
    present.add(key);
    added.push(lineText);
  }
  if (added.length === 0) return { text, added };
  const eol = detectLineEnding(text);
  const prefix = text === "" || text.endsWith("\n") ? text : text + eol;
  return { text: prefix + added.map((l) => l + eol).join(""), added };
}

/**
 * Remove every line whose normalized entry matches one of the given lines, keeping all other
 * bytes. `removed` lists the given lines (trimmed) that matched at least one line.
 * Throws ImagesFileError if a given line is invalid.
 */
export function removeEntries(text: string, lines: string[]): { text: string; removed: string[] } {
  const given = parseGivenLines(lines, "remove");
  const wanted = new Map<string, string>(given.map(({ entry, text: lineText }) => [entryKey(entry), lineText]));
  const dropLines = new Set<number>();
  const matched = new Set<string>();
  for (const entry of parseImagesFile(text).entries) {
    const key = entryKey(entry);
    if (wanted.has(key)) {
      dropLines.add(entry.line);
      matched.add(key);
    }
  }
  if (dropLines.size === 0) return { text, removed: [] };
  let out = "";
  splitLines(text).forEach((segment, index) => {
    if (!dropLines.has(index + 1)) {
      out += segment.content + segment.eol;
    } else if (index === 0 && segment.content.startsWith(BOM)) {
      out += BOM; // the BOM belongs to the file, not to the removed line
    }
  });
  const removed = given.filter(({ entry }) => matched.has(entryKey(entry))).map(({ text: t }) => t);
  return { text: out, removed: [...new Set(removed)] };
}

/** Identity of an entry for duplicates and edits: canonical source, platform and target. */
export function entryKey(entry: Pick<ImageEntry, "source" | "platform" | "rename" | "rule">): string {
  return [sourceText(entry), entry.platform ? formatPlatform(entry.platform) : "", entry.rename ?? ""].join("\u0000");
}

/** The normalized one-line form. @example formatEntry(e) // "--platform=linux/arm64 docker.io/library/nginx:1.26 => web/nginx" */
export function formatEntry(entry: Pick<ImageEntry, "source" | "platform" | "rename" | "rule">): string {
  const platform = entry.platform ? `--platform=${formatPlatform(entry.platform)} ` : "";
  const rename = entry.rename !== null ? ` ${ARROW} ${entry.rename}` : "";
  return platform + sourceText(entry) + rename;
}

/** The canonical source, or for a tag set its repository and rule: "docker.io/library/nginx:{semver ^1.26}". */
function sourceText(entry: Pick<ImageEntry, "source" | "rule">): string {
  return isTagSet(entry) ? `${canonical(entry.source)}:${formatTagRule(entry.rule!)}` : canonical(entry.source);
}

function parseGivenLines(lines: string[], verb: "add" | "remove"): { entry: ImageEntry; text: string }[] {
  const parsed: { entry: ImageEntry; text: string }[] = [];
  const problems: string[] = [];
  const diagnostics: Diagnostic[] = [];
  lines.forEach((line, index) => {
    const result = parseEntryLine(line, index + 1, "input");
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) {
      diagnostics.push(...errors);
      for (const d of errors) problems.push(`${JSON.stringify(line.trim())}: column ${d.column}: ${d.message}`);
    } else if (result.entry) {
      parsed.push({ entry: result.entry, text: line.trim() });
    }
  });
  if (problems.length > 0) {
    const s = problems.length === 1 ? "" : "s";
    throw new ImagesFileError(`cannot ${verb} entries, nothing was changed; invalid line${s}:\n${problems.map((p) => `  ${p}`).join("\n")}`, diagnostics);
  }
  return parsed;
}

/** Split into lines with their terminators, so joining content + eol gives the text back. */
function splitLines(text: string): { content: string; eol: string }[] {
  const out: { content: string; eol: string }[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf("\n", start);
    if (nl === -1) {
      out.push({ content: text.slice(start), eol: "" });
      break;
    }
    const crlf = nl > start && text[nl - 1] === "\r";
    out.push({ content: text.slice(start, crlf ? nl - 1 : nl), eol: crlf ? "\r\n" : "\n" });
    start = nl + 1;
  }
  return out;
}

/** The file's line ending, judged by its first line break; LF when there is none. */
export function detectLineEnding(text: string): "\n" | "\r\n" {
  const nl = text.indexOf("\n");
  return nl > 0 && text[nl - 1] === "\r" ? "\r\n" : "\n";
}

function error(file: string, line: number, offset: number, message: string): Diagnostic {
  return { file, line, column: offset + 1, severity: "error", message };
}

/** A "#" starts a comment at the line start or after whitespace; "a#b" stays one token. */
function commentStart(line: string): number {
  for (let i = 0; i < line.length; i++) {
    if (line.startsWith(":{", i)) {
      // A tag set's clauses may hold " #" (in a regex); the set ends at its "}".
      const end = ruleEnd(line, i + 1);
      if (end !== -1) i = end;
      continue;
    }
    if (line[i] === "#" && (i === 0 || /\s/.test(line[i - 1]!))) return i;
  }
  return line.length;
}

function tokenize(content: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < content.length) {
    if (/\s/.test(content[i]!)) {
      i++;
      continue;
    }
    const runEnd = i + (/^\S+/.exec(content.slice(i))?.[0].length ?? 1);
    const brace = content.indexOf(":{", i);
    if (brace !== -1 && brace < runEnd) {
      // A tag set "REPO:{a, b}" is one token, spaces and all; an unclosed one runs to the
      // end of the line and is reported by the image parser.
      const close = ruleEnd(content, brace + 1);
      const end = close === -1 ? content.length : close + 1;
      tokens.push({ text: content.slice(i, end).trimEnd(), start: i });
      i = end;
      continue;
    }
    // "a=>b" and "a =>b" read like "a => b".
    let offset = i;
    for (const piece of content.slice(i, runEnd).split(/(=>)/)) {
      if (piece !== "") tokens.push({ text: piece, start: offset });
      offset += piece.length;
    }
    i = runEnd;
  }
  return tokens;
}

function parseLine(line: string, lineNo: number, file: string): LineResult {
  const content = line.slice(0, commentStart(line));
  const tokens = tokenize(content);
  if (tokens.length === 0) return { entry: null, diagnostics: [] };

  const diagnostics: Diagnostic[] = [];
  const fail = (offset: number, message: string): void => {
    diagnostics.push(error(file, lineNo, offset, message));
  };
  let image: Token | null = null;
  let arrow: Token | null = null;
  let target: Token | null = null;
  let platformValue: Token | null = null;
  let platformFlag: Token | null = null;
  // One "unexpected ..." per line is enough: "docker pull nginx" is one mistake, not two.
  let strayReported = false;
  const stray = (tok: Token, message: string): void => {
    if (!strayReported) fail(tok.start, message);
    strayReported = true;
  };

  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok.text === ARROW) {
      if (arrow) stray(tok, `unexpected second "${ARROW}"`);
      else if (!image) fail(tok.start, `"${ARROW}" needs a source image before it`);
      arrow = tok;
      continue;
    }
    if (/^[-\u2013\u2014]/.test(tok.text)) {
      const eq = tok.text.indexOf("=");
      const name = eq === -1 ? tok.text : tok.text.slice(0, eq);
      if (name !== "--platform") {
        if (/^[\u2013\u2014]-?platform$/.test(name)) {
          fail(tok.start, `${JSON.stringify(name)} starts with a typographic dash; write --platform`);
        } else {
          fail(tok.start, `unknown flag ${JSON.stringify(name)}; only --platform is supported`);
        }
        continue;
      }
      let value: Token | null = null;
      if (eq !== -1) {
        value = { text: tok.text.slice(eq + 1), start: tok.start + eq + 1 };
        if (value.text === "") {
          fail(tok.start, "--platform= needs a value, e.g. --platform=linux/arm64");
          value = null;
        }
      } else {
        const next = tokens[i + 1];
        if (next && next.text !== ARROW && !next.text.startsWith("-")) {
          value = next;
          i++;
        } else {
          fail(tok.start, "--platform needs a value, e.g. --platform=linux/arm64");
        }
      }
      if (platformFlag) {
        fail(tok.start, "--platform is given twice; write one line per platform");
        continue;
      }
      platformFlag = tok;
      platformValue = value;
      continue;
    }
    if (arrow) {
      if (!target) target = tok;
      else stray(tok, `unexpected ${JSON.stringify(tok.text)} after the target; write one entry per line`);
    } else if (!image) {
      image = tok;
    } else {
      stray(tok, `unexpected ${JSON.stringify(tok.text)} after the image; write one image per line`);
    }
  }

  if (arrow && image && !target) {
    fail(arrow.start, `"${ARROW}" needs a target path after it, e.g. "gitea/gitea:1.20 ${ARROW} tools/gitea:1.20"`);
  }
  if (!image) {
    if (!arrow) fail(tokens[0]!.start, "missing image reference");
    return { entry: null, diagnostics: sortDiagnostics(diagnostics) };
  }

  let source: ImageReference | null = null;
  let rule: TagRule | undefined;
  const brace = image.text.indexOf(":{");
  if (brace !== -1) {
    const read = readTagSet(image, brace, fail);
    source = read.source;
    rule = read.rule;
    if (target && rule && parseRenameTag(target.text) !== null) {
      fail(target.start + target.text.indexOf(":"), `a tag set keeps each tag: write the target without a tag, e.g. "${ARROW} ${target.text.slice(0, target.text.indexOf(":"))}"`);
    }
  } else {
    try {
      source = parseReference(image.text);
    } catch (e) {
      if (!(e instanceof ReferenceError)) throw e;
      fail(image.start + e.column - 1, `invalid reference ${JSON.stringify(image.text)}: ${e.reason}`);
    }
  }

  let platform: Platform | null = null;
  if (platformValue) {
    if (platformValue.text.includes(",")) {
      const list = platformValue.text.split(",").map((p) => JSON.stringify(p)).join(", ");
      fail(platformValue.start, `--platform takes one platform; write one line per platform (${list})`);
    } else {
      try {
        platform = parsePlatform(platformValue.text);
      } catch (e) {
        if (!(e instanceof PlatformError)) throw e;
        fail(platformValue.start + e.column - 1, e.message);
      }
    }
  }

  if (target) {
    try {
      parseRepositoryPath(target.text);
    } catch (e) {
      if (!(e instanceof ReferenceError)) throw e;
      fail(target.start + e.column - 1, `invalid target ${JSON.stringify(target.text)}: ${e.reason}`);
    }
  }

  if (diagnostics.length > 0 || !source) return { entry: null, diagnostics: sortDiagnostics(diagnostics) };
  const warnings: Diagnostic[] = [];
  if (/[A-Z]/.test(source.domain) && !/[.:[]/.test(source.domain)) {
    // Valid for Docker, but "Bitnami/redis" almost always means Docker Hub's "bitnami/redis".
    const suggestion = image.text.slice(0, source.domain.length).toLowerCase() + image.text.slice(source.domain.length);
    warnings.push({
      file,
      line: lineNo,
      column: image.start + 1,
      severity: "warning",
      message: `${JSON.stringify(source.domain)} is read as a registry host because it has uppercase letters (as Docker does); did you mean ${JSON.stringify(suggestion)}?`,
    });
  }
  return {
    entry: {
      line: lineNo,
      column: image.start + 1,
      text: content.trim(),
      source,
      platform,
      rename: target ? target.text : null,
      ...(rule ? { rule } : {}),
    },
    diagnostics: warnings,
  };
}

/**
 * Read "REPO:{RULE}": the repository must have neither tag nor digest, and the rule must
 * parse; problems are reported at their column in the line.
 */
function readTagSet(image: Token, brace: number, fail: (offset: number, message: string) => void): { source: ImageReference | null; rule?: TagRule } {
  const repo = image.text.slice(0, brace);
  const close = image.text.endsWith("}") ? image.text.length - 1 : -1;
  let source: ImageReference | null = null;
  if (repo === "") {
    fail(image.start, "a tag set needs a repository before it, e.g. nginx:{semver ^1.26}");
  } else if (/[@]/.test(repo) || /:[^/]*$/.test(repo.slice(repo.indexOf("/") + 1))) {
    const at = Math.max(repo.indexOf("@"), repo.lastIndexOf(":"));
    fail(image.start + at, `a tag set replaces the tag: write the repository without a tag or digest, e.g. "${repo.slice(0, at)}:{...}"`);
  } else {
    try {
      const parsed = parseReference(repo);
      source = { domain: parsed.domain, path: parsed.path };
    } catch (e) {
      if (!(e instanceof ReferenceError)) throw e;
      fail(image.start + e.column - 1, `invalid reference ${JSON.stringify(repo)}: ${e.reason}`);
    }
  }
  if (close === -1) {
    fail(image.start + brace + 1, 'the tag set has no closing "}"');
    return { source: null };
  }
  try {
    return { source, rule: parseTagRule(image.text.slice(brace + 2, close)) };
  } catch (e) {
    if (!(e instanceof TagRuleError)) throw e;
    fail(image.start + brace + 1 + e.column, `invalid tag set: ${e.reason}`);
    return { source: null };
  }
}

/** The tag of a rename target, or null; the target's own errors are reported elsewhere. */
function parseRenameTag(text: string): string | null {
  const colon = text.indexOf(":");
  return colon === -1 ? null : text.slice(colon + 1);
}
