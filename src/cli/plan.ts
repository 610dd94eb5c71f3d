/**
 * `mirrorbot plan [FILE] [--config PATH] [--json]`: show where every entry goes, one row per
 * (entry, target), after `defaults.platforms` expansion. Nothing is contacted.
 *
 * `--json` prints exactly a JSON array of
 *   {"line": N, "source": "<canonical>", "platform": "os/arch" | null, "target": "<full reference>"}.
 * When the file has errors, stdout stays empty: a script never sees half a plan.
 */
import { familiar, canonical } from "../domain/reference.js";
import { formatPlatform } from "../domain/platform.js";
import type { PlannedTarget } from "../domain/naming.js";
import { analyzeOrExit, reportDiagnostics } from "./check.js";
import { type CliIo, EXIT, parseCommandArgs, resolveIo, UsageError, withUsage, writeLine } from "./args.js";

export const usage = `Usage: mirrorbot plan [FILE] [--config PATH] [--json]
       mirrorbot plan [FILE] [--config PATH] --out PLAN [--shards N|auto] [--force]

Show the target reference of every entry in every configured target, without copying
anything. Errors in the file are printed as FILE:LINE:COL: error: message.

With --out, plan a sync for several runners (docs/sharding.md): resolve digests with HEADs,
read the source manifests of what must be copied, split the copies into shards that share
no missing blob, and write the plan for "mirrorbot sync --plan PLAN --shard K". Sends no
write to any registry. MIRRORBOT_IMAGES, MIRRORBOT_REQUEST and MIRRORBOT_FORCE apply as
for "mirrorbot sync".

Arguments:
  FILE             the images file [app.imagesFile from the config, i.e. images.txt]

Options:
  -c, --config PATH  config file [.github/mirrorbot.yml if present, else one target
                     registry.example.com/mirror with flat naming]
      --json         print a JSON array of {line, source, platform, target}
      --out PLAN     write a plan for shards to PLAN
      --shards N|auto  shards to split into [sharding.shards, auto: one per
                     sharding.budgetMB of missing blobs]
      --force        plan copies even where the target has the digest
      --github-output PATH  append the workflow step outputs fanout, shards,
                     seed and max_parallel (e.g. "$GITHUB_OUTPUT")
  -h, --help         show this help

Exit status: 0 planned, 1 the file has errors, 2 usage, config or file error.
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
}

/** The JSON form of a planned row. */
export function planRow(row: PlannedTarget): PlanRow {
  return {
    line: row.entry.line,
    source: canonical(row.entry.source),
    platform: row.entry.platform === null ? null : formatPlatform(row.entry.platform),
    target: row.reference,
  };
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
    const analysis = await analyzeOrExit("plan", positionals[0], values.config, io);
    if (typeof analysis === "number") return analysis;
    if (reportDiagnostics(analysis, io)) return EXIT.findings;
    if (values.json) {
      writeLine(io.stdout, JSON.stringify(analysis.rows.map(planRow), null, 2));
    } else if (analysis.rows.length === 0) {
      writeLine(io.stderr, `${analysis.file}: no images to mirror`);
    } else {
      writeLine(io.stdout, formatTable(analysis.rows));
    }
    return EXIT.ok;
  });
}
