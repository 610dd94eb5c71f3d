/**
 * `mirrorbot merge --plan PLAN RESULT... --out result.json`: combine the results of a plan's
 * shards into the one result a single run would have written, then send the one summary and
 * notification of the run. A shard with no result (its job failed or was cancelled) does not
 * stop the merge: its copies are reported failed, naming the shard.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { z } from "zod";
import { ConfigError, type Config, loadConfig } from "../domain/config.js";
import { MergeError, mergeResults, type PartResult } from "../engine/merge.js";
import { notify } from "../engine/notify.js";
import { type Plan, PlanError, readPlan } from "../engine/plan-file.js";
import { appendSummary, writeResult } from "../engine/report.js";
import { parseResult } from "../engine/result.js";
import { renderSummary } from "../engine/summary.js";
import { type CliIo, EXIT, parseCommandArgs, resolveIo, UsageError, withUsage, writeLine } from "./args.js";

export const usage = `Usage: mirrorbot merge --plan PLAN [RESULT...] --out PATH [options]

Combine the result.json of each part of a sharded sync (docs/sharding.md) into one result,
as one run would have written it: every task of PLAN once. A copy whose shard left no
result (a failed or cancelled job) is reported failed. A RESULT that cannot be read or
belongs to another plan is skipped with a warning, and its copies count as not run.

Arguments:
  RESULT             result files of "mirrorbot sync --plan PLAN --shard K"

Options:
      --plan PATH     the plan the shards ran
      --out PATH      write the merged result.json here
  -c, --config PATH   config file, for the notify webhooks [.github/mirrorbot.yml if present]
      --summary PATH  append the Markdown summary (e.g. "$GITHUB_STEP_SUMMARY")
  -h, --help          show this help

Exit status: 0 every task succeeded, 1 some failed or did not run, 2 usage, config or plan error.`;

const options = {
  plan: { type: "string" },
  out: { type: "string" },
  config: { type: "string", short: "c" },
  summary: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Most result files one merge reads: one per shard, and shards are capped lower. */
const MAX_RESULTS = 1000;

/** Run `mirrorbot merge` with the arguments after "merge". */
export async function run(argv: string[], ioArg: Partial<CliIo> = {}, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const io = resolveIo(ioArg);
  return withUsage("merge", io, async () => {
    const { values, positionals } = parseCommandArgs(argv, options, MAX_RESULTS);
    if (values.help) {
      writeLine(io.stdout, usage);
      return EXIT.ok;
    }
    if (!values.plan) throw new UsageError("--plan PATH is required");
    if (!values.out) throw new UsageError("--out PATH is required");
    if (values.config === "") throw new UsageError("--config needs a path");
    let plan: Plan;
    let config: Config;
    try {
      plan = await readPlan(resolve(io.cwd, values.plan));
      config = await loadConfig(values.config, { cwd: io.cwd });
    } catch (err) {
      if (!(err instanceof PlanError) && !(err instanceof ConfigError)) throw err;
      for (const line of err.message.split("\n")) writeLine(io.stderr, `mirrorbot merge: ${line}`);
      return EXIT.usage;
    }

    const parts: PartResult[] = [];
    for (const file of positionals) {
      const part = await readPart(file, io);
      if (!part) continue;
      try {
        // Checked one at a time, so one stray file costs only its own copies.
        mergeResults(plan, [...parts, part]);
        parts.push(part);
      } catch (err) {
        if (!(err instanceof MergeError)) throw err;
        writeLine(io.stderr, `warning: ${file}: skipped: ${err.message}`);
      }
    }
    const result = mergeResults(plan, parts);
    await writeResult(resolve(io.cwd, values.out), result);
    const notRun = result.tasks.filter((t) => t.error?.startsWith("not run:")).length;
    writeLine(io.stdout, `merged ${parts.length} result${parts.length === 1 ? "" : "s"}: ${result.summary.copied} copied, ${result.summary.skipped} skipped, ${result.summary.failed} failed${notRun > 0 ? ` (${notRun} not run)` : ""}`);
    if (values.summary) await appendSummary(resolve(io.cwd, values.summary), renderSummary(result));
    for (const warning of await notify(result, config.notify, { env })) writeLine(io.stderr, `warning: ${warning}`);
    return result.summary.failed > 0 ? EXIT.findings : EXIT.ok;
  });
}

/** One shard's result, or null with a warning printed. */
async function readPart(file: string, io: CliIo): Promise<PartResult | null> {
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, file), "utf8");
  } catch (err) {
    writeLine(io.stderr, `warning: ${file}: skipped: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return null;
  }
  try {
    return { name: file, result: parseResult(JSON.parse(text)) };
  } catch (err) {
    if (!(err instanceof SyntaxError) && !(err instanceof z.ZodError)) throw err;
    const issue = err instanceof z.ZodError ? err.issues[0] : undefined;
    writeLine(io.stderr, `warning: ${file}: skipped: ${issue ? `not a result: ${issue.path.join(".") || "(root)"}: ${issue.message}` : "not JSON"}`);
    return null;
  }
}
