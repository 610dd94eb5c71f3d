/**
 * `mirrorbot check [FILE] [--config PATH]`: validate images.txt against the config.
 * Exit 0 when valid (warnings on stderr), 1 with `FILE:LINE:COL: error: ...` lines on stderr,
 * 2 on a usage or config error or a missing file.
 */
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { ConfigError, DEFAULT_CONFIG_PATH, defaultConfig, loadConfig, type Config } from "../domain/config.js";
import { displayMessage } from "../domain/display.js";
import { type Diagnostic, formatDiagnostic, hasErrors, sortDiagnostics } from "../domain/diagnostic.js";
import { type ImageEntry, isTagSet, parseImagesFile } from "../domain/images-file.js";
import { expandPlatforms, planTargets, type PlannedTarget } from "../domain/naming.js";
import { tagSetNamingDiagnostics } from "../engine/expand.js";
import { policyDiagnostics } from "../domain/policy.js";
import { type CliIo, EXIT, parseCommandArgs, resolveIo, UsageError, withUsage, writeLine } from "./args.js";

export const usage = `Usage: mirrorbot check [FILE] [--config PATH]

Check an images file: syntax, references, platforms, target names (collisions) and the
source policy. Problems are printed as FILE:LINE:COL: error|warning: message; a passing
check ends with one summary line.

Arguments:
  FILE             the images file [app.imagesFile from the config, i.e. images.txt]

Options:
  -c, --config PATH  config file [.github/mirrorbot.yml if present, else defaults]
  -h, --help         show this help

Exit status: 0 valid (warnings allowed), 1 errors found, 2 usage, config or file error.`;

const options = {
  config: { type: "string", short: "c" },
  help: { type: "boolean", short: "h" },
} as const;

/** Everything check found, and the rows plan prints. */
export interface Analysis {
  file: string;
  config: Config;
  rows: PlannedTarget[];
  /** Tag sets (`nginx:{semver ^1.26}`), after platform expansion: plan and sync expand them online. */
  tagSets: ImageEntry[];
  diagnostics: Diagnostic[];
}

/** A config or images file that could not be read: exit 2. */
class InputError extends Error {}

/**
 * Load the config and the images file and run every check: parse, name every entry in every
 * target (after `defaults.platforms` expansion), find collisions, apply the policy.
 */
export async function analyze(fileArg: string | undefined, configArg: string | undefined, cwd: string, requireTargets = false): Promise<Analysis> {
  let config: Config;
  try {
    config = await loadConfig(configArg, { cwd });
  } catch (err) {
    if (err instanceof ConfigError) throw new InputError(err.message);
    throw err;
  }
  // The defaults name a placeholder, registry.example.com: fine for checking syntax, useless
  // as somewhere to copy to, so plan and sync ask for a real target first.
  if (requireTargets && isDefaultTargets(config)) {
    const file = configArg ?? DEFAULT_CONFIG_PATH;
    const why = (await fileExists(resolve(cwd, file))) ? `${file} names no targets` : `no ${file}`;
    throw new InputError(`${why}: run "npx mirrorbot init" to write one for your registry (or pass --config PATH)`);
  }
  const file = fileArg ?? config.app.imagesFile;
  let text: string;
  try {
    text = await readFile(resolve(cwd, file), "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a file" : `cannot read (${code ?? "error"})`;
    throw new InputError(`${file}: ${reason}`);
  }
  const parsed = parseImagesFile(text, file);
  const entries = expandPlatforms(parsed.entries, config.defaults.platforms);
  // A tag set's tags are known only to its registry; offline, only its naming is checked.
  const tagSets = entries.filter(isTagSet);
  const planned = planTargets(entries.filter((e) => !isTagSet(e)), config.targets, file);
  const naming = tagSetNamingDiagnostics(tagSets, config.targets, file);
  const policy = policyDiagnostics(parsed.entries, config.policy, file, configArg ?? DEFAULT_CONFIG_PATH);
  return { file, config, rows: planned.rows, tagSets, diagnostics: sortDiagnostics([...parsed.diagnostics, ...planned.diagnostics, ...naming, ...policy]) };
}

/** True when the config's targets are the built-in placeholder (no `targets` were written). */
function isDefaultTargets(config: Config): boolean {
  return JSON.stringify(config.targets) === JSON.stringify(defaultConfig().targets);
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * {@link analyze}, printing why the input could not be read ("mirrorbot CMD: ...") and
 * returning exit 2 in that case.
 */
export async function analyzeOrExit(
  command: string,
  fileArg: string | undefined,
  configArg: string | undefined,
  io: CliIo,
  requireTargets = false,
): Promise<Analysis | number> {
  if (configArg === "") throw new UsageError("--config needs a path");
  try {
    return await analyze(fileArg, configArg, io.cwd, requireTargets);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    for (const line of err.message.split("\n")) writeLine(io.stderr, `mirrorbot ${command}: ${displayMessage(line)}`);
    return EXIT.usage;
  }
}

/** Print diagnostics on stderr and a count when there are errors; true when there are errors. */
export function reportDiagnostics(analysis: Analysis, io: CliIo): boolean {
  for (const d of analysis.diagnostics) writeLine(io.stderr, formatDiagnostic(d));
  if (!hasErrors(analysis.diagnostics)) return false;
  const errors = analysis.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = analysis.diagnostics.length - errors;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  writeLine(io.stderr, `${analysis.file}: ${plural(errors, "error")}${warnings > 0 ? `, ${plural(warnings, "warning")}` : ""}`);
  return true;
}

/**
 * The one line a passing check ends with.
 * @example summaryLine(analysis) // "images.txt: ok, 3 images to 1 target (4 names), 1 warning"
 */
export function summaryLine(analysis: Analysis): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const images = new Set(analysis.rows.map((r) => r.entry.line)).size;
  // A tag set's names are known only once its repository's tags are listed (`mirrorbot plan`).
  const sets = new Set(analysis.tagSets.map((e) => e.line)).size;
  const warnings = analysis.diagnostics.length;
  const warned = warnings > 0 ? `, ${plural(warnings, "warning")}` : "";
  if (images === 0 && sets === 0) return `${analysis.file}: ok, no images yet: add one per line, e.g. nginx:1.26${warned}`;
  const withSets = sets > 0 ? `${images > 0 ? " and " : ""}${plural(sets, "tag set")}` : "";
  const imagePart = images > 0 ? plural(images, "image") : "";
  const names = images > 0 ? ` (${plural(analysis.rows.length, "name")}${sets > 0 ? " before tag sets expand" : ""})` : "";
  return `${analysis.file}: ok, ${imagePart}${withSets} to ${plural(analysis.config.targets.length, "target")}${names}${warned}`;
}

/** Run `mirrorbot check` with the arguments after "check". */
export async function run(argv: string[], ioArg: Partial<CliIo> = {}): Promise<number> {
  const io = resolveIo(ioArg);
  return withUsage("check", io, async () => {
    const { values, positionals } = parseCommandArgs(argv, options, 1);
    if (values.help) {
      writeLine(io.stdout, usage);
      return EXIT.ok;
    }
    const analysis = await analyzeOrExit("check", positionals[0], values.config, io);
    if (typeof analysis === "number") return analysis;
    if (reportDiagnostics(analysis, io)) return EXIT.findings;
    writeLine(io.stdout, summaryLine(analysis));
    return EXIT.ok;
  });
}
