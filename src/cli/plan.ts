/**
 * `mirrorbot plan [FILE] [--config PATH] [--json]`: show where every entry goes, one row per
 * (entry, target), after `defaults.platforms` expansion. Plain entries contact nothing; a tag
 * set (`nginx:{semver ^1.26}`) lists its source repository's tags (never a manifest) and
 * shows what it expands to.
 *
 * `--json` prints exactly a JSON array of
 *   {"line": N, "source": "<canonical>", "platform": "os/arch" | null, "target": "<full reference>"}
 * and, on rows a tag set produced, "rule": "nginx:{semver ^1.26}".
 * When the file has errors, stdout stays empty: a script never sees half a plan.
 */
import { familiar, canonical } from "../domain/reference.js";
import { formatPlatform } from "../domain/platform.js";
import type { PlannedTarget } from "../domain/naming.js";
import { formatDiagnostic, hasErrors } from "../domain/diagnostic.js";
import { CredentialsError } from "../engine/credentials.js";
import { ruleText, type TagSetExpansion } from "../engine/expand.js";
import { sourceTagLister } from "../engine/source-lister.js";
import type { TagLister } from "../engine/tag-list.js";
import { analyzeOrExit, reportDiagnostics } from "./check.js";
import { expandPlan } from "./tag-sets.js";
import { type CliIo, EXIT, parseCommandArgs, resolveIo, UsageError, withUsage, writeLine } from "./args.js";

export const usage = `Usage: mirrorbot plan [FILE] [--config PATH] [--json]
       mirrorbot plan [FILE] [--config PATH] --out PLAN [--shards N|auto] [--force]

Show the target reference of every entry in every configured target, without copying
anything. Errors in the file are printed as FILE:LINE:COL: error: message. A tag set
(e.g. nginx:{semver ^1.26}) is expanded by listing its repository's tags.

With --out, plan a sync for several runners (docs/sharding.md): resolve digests with HEADs,
read the source manifests of what must be copied, split the copies into shards that share
no missing blob, and write the plan for "mirrorbot sync --plan PLAN --shard K". Sends no
write to any registry. MIRRORBOT_IMAGES, MIRRORBOT_REQUEST and MIRRORBOT_FORCE apply as
for "mirrorbot sync".

Arguments:
  FILE             the images file [app.imagesFile from the config, i.e. images.txt]

Options:
  -c, --config PATH  config file [.github/mirrorbot.yml; "mirrorbot init" writes one]
      --json         print a JSON array of {line, source, platform, target[, rule]}
      --out PLAN     write a plan for shards to PLAN
      --shards N|auto  shards to split into [sharding.shards, auto: one per
                     sharding.budgetMB of missing blobs]
      --force        plan copies even where the target has the digest
      --github-output PATH  append the workflow step outputs fanout, shards,
                     seed and max_parallel (e.g. "$GITHUB_OUTPUT")
  -h, --help         show this help

Exit status: 0 planned, 1 the file or a tag set has errors, 2 usage, config or file error.
With --out: 0 planned (tasks that could not be resolved are planned as failed),
2 usage, config, credential or file error.`;

const options = {
  config: { type: "string", short: "c" },
  json: { type: "boolean" },
  out: { type: "string" },
  shards: { type: "string" },
  force: { type: "boolean" },
  "github-output": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** One row of `plan --json`. */
export interface PlanRow {
  line: number;
  source: string;
  platform: string | null;
  target: string;
  /** The tag set that produced the row, e.g. "nginx:{semver ^1.26}"; absent on plain rows. */
  rule?: string;
}

/** The JSON form of a planned row. */
export function planRow(row: PlannedTarget): PlanRow {
  return {
    line: row.entry.line,
    source: canonical(row.entry.source),
    platform: row.entry.platform === null ? null : formatPlatform(row.entry.platform),
    target: row.reference,
    ...(row.entry.rule ? { rule: ruleText(row.entry) } : {}),
  };
}

/** How many tags a shown expansion lists before "and N more". */
const EXPANSION_SHOWN = 10;

/**
 * One line per tag set: what it matched, newest first.
 * @example formatExpansion(x, "images.txt") // "images.txt:3: nginx:{semver ^1.26, latest 2} -> 2 of 41 tags: 1.26.3, 1.26.2"
 */
export function formatExpansion(x: TagSetExpansion, file: string): string {
  const shown = x.tags.slice(0, EXPANSION_SHOWN).join(", ");
  const more = x.tags.length > EXPANSION_SHOWN ? ` and ${x.tags.length - EXPANSION_SHOWN} more` : "";
  const platform = x.entry.platform === null ? "" : ` [${formatPlatform(x.entry.platform)}]`;
  const what = x.error !== null ? "not expanded (see the error)" : x.tags.length === 0 ? `no match among ${x.available} tags` : `${x.tags.length} of ${x.available} tags: ${shown}${more}`;
  return `${file}:${x.entry.line}: ${x.rule}${platform} -> ${what}`;
}

/**
 * Rows as a table with aligned columns; the whole index of an image shows as platform "all".
 * @example formatTable(rows) // "LINE  SOURCE      PLATFORM  TARGET\n2     nginx:1.26  all       registry.example.com/mirror/nginx:1.26"
 */
export function formatTable(rows: readonly PlannedTarget[]): string {
  const cells = [
    ["LINE", "SOURCE", "PLATFORM", "TARGET"],
    ...rows.map((r) => [
      String(r.entry.line),
      familiar(r.entry.source),
      r.entry.platform === null ? "all" : formatPlatform(r.entry.platform),
      r.reference,
    ]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...cells.map((c) => c[i]!.length)));
  return cells.map((c) => c.map((cell, i) => (i < widths.length ? cell.padEnd(widths[i]!) : cell)).join("  ")).join("\n");
}

/** Run `mirrorbot plan` with the arguments after "plan". */
export async function run(argv: string[], ioArg: Partial<CliIo> = {}, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const io = resolveIo(ioArg);
  return withUsage("plan", io, async () => {
    const { values, positionals } = parseCommandArgs(argv, options, 1);
    if (values.help) {
      writeLine(io.stdout, usage);
      return EXIT.ok;
    }
    if (values.out !== undefined || values.shards !== undefined || values.force || values["github-output"] !== undefined) {
      if (values.json) throw new UsageError("--json shows where entries go; it cannot be combined with --out");
      const { planForShards } = await import("./plan-shards.js");
      return planForShards(
        { file: positionals[0], config: values.config, shards: values.shards, out: values.out, githubOutput: values["github-output"], force: values.force === true },
        io,
        env,
      );
    }
    const analysis = await analyzeOrExit("plan", positionals[0], values.config, io, true);
    if (typeof analysis === "number") return analysis;
    if (reportDiagnostics(analysis, io)) return EXIT.findings;
    let rows = analysis.rows;
    let expansions: TagSetExpansion[] = [];
    if (analysis.tagSets.length > 0) {
      let lister: TagLister;
      try {
        lister = await sourceTagLister(analysis.config, new Set(analysis.tagSets.map((e) => e.source.domain)), env);
      } catch (err) {
        if (!(err instanceof CredentialsError)) throw err;
        writeLine(io.stderr, `mirrorbot plan: ${err.message}`);
        return EXIT.usage;
      }
      const expanded = await expandPlan(rows, analysis.tagSets, analysis.config, lister, { file: analysis.file, configFile: values.config, known: analysis.diagnostics });
      for (const d of expanded.diagnostics) writeLine(io.stderr, formatDiagnostic(d));
      if (hasErrors(expanded.diagnostics)) return EXIT.findings;
      rows = expanded.rows;
      expansions = expanded.expansions;
    }
    if (values.json) {
      writeLine(io.stdout, JSON.stringify(rows.map(planRow), null, 2));
    } else if (rows.length === 0) {
      for (const x of expansions) writeLine(io.stdout, formatExpansion(x, analysis.file));
      writeLine(io.stderr, `${analysis.file}: no images to mirror`);
    } else {
      for (const x of expansions) writeLine(io.stdout, formatExpansion(x, analysis.file));
      if (expansions.length > 0) writeLine(io.stdout, "");
      writeLine(io.stdout, formatTable(rows));
    }
    return EXIT.ok;
  });
}
