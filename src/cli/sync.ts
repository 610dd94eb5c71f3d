/**
 * `mirrorbot sync`: copy every entry (or the selected ones) to every configured target,
 * skipping what is up to date. Exit 0 when every task succeeded, 1 when some failed, 2 for
 * usage, config, credential or images-file errors (then nothing was copied).
 *
 * The mirroring workflow passes its dispatch inputs through the environment, never the
 * command line: MIRRORBOT_IMAGES (lines in images.txt syntax), MIRRORBOT_REQUEST, MIRRORBOT_FORCE.
 */
import { resolve } from "node:path";
import { splitLines } from "../domain/lines.js";
import { entryKey, type ImageEntry, isTagSet, parseEntryLine } from "../domain/images-file.js";
import { expandPlatforms, planTargets, type PlannedTarget } from "../domain/naming.js";
import { canonical, parseReference, ReferenceError } from "../domain/reference.js";
import { formatDiagnostic, hasErrors } from "../domain/diagnostic.js";
import { formatPlatform } from "../domain/platform.js";
import { COPIERS, type Copier, DEFAULT_CONFIG_PATH, ENGINE_LIMITS } from "../domain/config.js";
import { policyDiagnostics } from "../domain/policy.js";
import { CredentialsError } from "../engine/credentials.js";
import { cleanLeftovers } from "../engine/leftovers.js";
import { oneLine } from "../engine/redact.js";
import { notify, notifyStopped } from "../engine/notify.js";
import { proxySettingsProblem } from "../engine/proxy.js";
import { PlatformCache, platformCacheDir } from "../engine/platform-cache.js";
import { createProgress } from "../engine/progress.js";
import { Registries } from "../engine/registries.js";
import { appendSummary, writeResult } from "../engine/report.js";
import { buildResult } from "../engine/result.js";
import { type DryRunLine, type RunOptions, runSync } from "../engine/run.js";
import { renderSummary, shortDigest } from "../engine/summary.js";
import { buildTasks, type SyncTask } from "../engine/tasks.js";
import { tagSetNamingDiagnostics } from "../engine/expand.js";
import { formatExpansion } from "./plan.js";
import type { TagLister } from "../engine/tag-list.js";
import { type ExpandedPlan, expandPlan, markTagSetTasks, newTargetTags, tagLister, tagSetOf, tagSetResults, withSuggestions } from "./tag-sets.js";
import { type Analysis, analyzeOrExit, reportDiagnostics } from "./check.js";
import { type CliIo, EXIT, parseCommandArgs, resolveIo, UsageError, withUsage, writeLine } from "./args.js";
import { onInterrupt } from "./interrupt.js";

export const usage = `Usage: mirrorbot sync [FILE] [options]

Copy every image in FILE to every configured target, registry to registry, blob by blob
(or with skopeo, for targets with "copier: skopeo").
Images whose target digest already equals the source digest are skipped.

Arguments:
  FILE                 the images file [app.imagesFile from the config, i.e. images.txt]

Options:
  -c, --config PATH    config file [.github/mirrorbot.yml; "mirrorbot init" writes one]
      --only REF|LINE  sync only these entries (repeatable): a reference such as
                       nginx:1.26, or a line number of FILE
      --force          copy even when the target is up to date
      --dry-run        show what would be copied or skipped; change nothing
      --concurrency N  blob transfers at once, or "auto": 8 (with copier skopeo:
                       copies, 4 for a near source, 8 for a far one)
                       [engine.concurrency, auto]
      --retries N      extra attempts for transient failures, per request, blob
                       and copy [engine.retries, 3]
      --stall-timeout S  seconds without a byte moving before a request is cut
                       and retried [engine.stallTimeout, 60]
      --attempt-timeout S  seconds one blob transfer attempt may take in all
                       [engine.attemptTimeout, 3600]
      --copier NAME    native or skopeo, for every target [each target's copier]
      --result PATH    write result.json (schema: docs/result-json.md)
      --summary PATH   append a Markdown summary (e.g. "$GITHUB_STEP_SUMMARY")
      --plan PATH      run the tasks of a plan from "mirrorbot plan --shards"
                       (docs/sharding.md) instead of FILE: every part in turn,
                       or only the one --shard names
      --shard K|seed   with --plan: run only shard K (from 0), or the seed; the
                       result then holds only that part (combine the parts with
                       "mirrorbot merge"), and no summary or webhook is sent
      --fan-out PLAN   plan first (as "mirrorbot plan --out PLAN"); a plan of one
                       shard is synced here as usual; a larger one only has its
                       seed run here (result-seed.json beside PLAN), and its
                       shards are left to "sync --plan PLAN --shard K" and merge
      --shards N|auto  with --fan-out: shards to split into [sharding.shards]
      --github-output PATH  with --fan-out: append the step outputs fanout,
                       shards, seed and max_parallel (e.g. "$GITHUB_OUTPUT")
  -h, --help           show this help

Environment:
  MIRRORBOT_IMAGES     lines in images.txt syntax; when set, only these are synced
  MIRRORBOT_REQUEST    request id recorded in result.json
  MIRRORBOT_FORCE      "true" acts like --force

Exit status: 0 all succeeded, 1 some failed, 2 usage, config or input error.`;

const options = {
  config: { type: "string", short: "c" },
  only: { type: "string", multiple: true },
  force: { type: "boolean" },
  "dry-run": { type: "boolean" },
  concurrency: { type: "string" },
  retries: { type: "string" },
  "stall-timeout": { type: "string" },
  "attempt-timeout": { type: "string" },
  copier: { type: "string" },
  result: { type: "string" },
  summary: { type: "string" },
  plan: { type: "string" },
  shard: { type: "string" },
  "fan-out": { type: "string" },
  shards: { type: "string" },
  "github-output": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Run `mirrorbot sync` with the arguments after "sync". */
export async function run(argv: string[], ioArg: Partial<CliIo> = {}, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const io = resolveIo(ioArg);
  return withUsage("sync", io, async () => {
    const { values, positionals } = parseCommandArgs(argv, options, 1);
    if (values.help) {
      writeLine(io.stdout, usage);
      return EXIT.ok;
    }
    const concurrency = values.concurrency === "auto" ? "auto" : boundedInt(values.concurrency, "--concurrency", ENGINE_LIMITS.concurrency);
    const retries = boundedInt(values.retries, "--retries", ENGINE_LIMITS.retries);
    const stallTimeout = boundedInt(values["stall-timeout"], "--stall-timeout", ENGINE_LIMITS.stallTimeout);
    const attemptTimeout = boundedInt(values["attempt-timeout"], "--attempt-timeout", ENGINE_LIMITS.attemptTimeout);
    if (values.copier !== undefined && !(COPIERS as readonly string[]).includes(values.copier)) {
      throw new UsageError(`--copier takes ${COPIERS.join(" or ")}, got ${JSON.stringify(values.copier)}`);
    }
    const copier = values.copier as Copier | undefined;

    if (values.plan !== undefined) {
      if (positionals.length > 0 || (values.only ?? []).length > 0) throw new UsageError("--plan runs the tasks of the plan: give no FILE and no --only");
      if (values.force || values["dry-run"]) throw new UsageError(`--${values.force ? "force" : "dry-run"} cannot be combined with --plan: give it to "mirrorbot plan --shards"`);
      // Loaded only for plans: a plain sync does not pay for the sharding modules at start.
      const { runPlan } = await import("./sync-plan.js");
      return runPlan({ plan: values.plan, shard: values.shard, config: values.config, result: values.result, summary: values.summary, concurrency, retries, stallTimeout, attemptTimeout, copier }, io, env);
    }
    if (values.shard !== undefined) throw new UsageError("--shard needs --plan");
    if (values["fan-out"] !== undefined) {
      if (values["dry-run"] || (values.only ?? []).length > 0) throw new UsageError(`--${values["dry-run"] ? "dry-run" : "only"} cannot be combined with --fan-out`);
      const { fanOut } = await import("./sync-plan.js");
      return fanOut(
        { file: positionals[0], config: values.config, shards: values.shards, out: values["fan-out"], githubOutput: values["github-output"], force: values.force === true },
        { result: values.result, summary: values.summary, concurrency, retries, stallTimeout, attemptTimeout, copier },
        io,
        env,
      );
    }
    if (values.shards !== undefined || values["github-output"] !== undefined) throw new UsageError(`--${values.shards !== undefined ? "shards" : "github-output"} needs --fan-out`);
    const prepared = await prepareSync("sync", { file: positionals[0], config: values.config, only: values.only ?? [], dryRun: values["dry-run"] === true, ...(copier ? { copier } : {}) }, io, env);
    if (typeof prepared === "number") return prepared;
    return syncPrepared(
      prepared,
      { force: values.force === true || env.MIRRORBOT_FORCE === "true", dryRun: values["dry-run"] === true, result: values.result, summary: values.summary, concurrency, retries, stallTimeout, attemptTimeout, copier },
      io,
      env,
    );
  });
}

/** The flags every way of running a sync shares (`sync`, `sync --plan`, `sync --fan-out`). */
export interface RunFlags {
  result: string | undefined;
  summary: string | undefined;
  concurrency: number | "auto" | undefined;
  retries: number | undefined;
  /** Seconds; undefined: the config's. */
  stallTimeout: number | undefined;
  attemptTimeout: number | undefined;
  copier: Copier | undefined;
}

/** How `syncPrepared` runs: the flags of `mirrorbot sync`, and a plan's decisions when one was made. */
export interface SyncRunOptions extends RunFlags {
  force: boolean;
  dryRun: boolean;
  /** Decisions and manifests a plan already read, by task id (a one-shard `--fan-out`): not resolved or read again. */
  planned?: RunOptions["planned"];
  /** The plan's platform cache, already open (a one-shard `--fan-out`): its owner saves it. */
  platforms?: PlatformCache;
}

/**
 * Copy the tasks of a prepared sync and report: progress, result.json, the step summary with
 * tag sets, webhooks. Disposes the registries. Resolves to the exit code.
 */
export async function syncPrepared(prepared: PreparedSync, options: SyncRunOptions, io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const { analysis, tasks, registries, expanded, lineOf, lister, tagSetFailed } = prepared;
  if (options.dryRun) for (const x of expanded.expansions) writeLine(io.stdout, formatExpansion(x, prepared.file));

  // A run killed before it could clean up left its files (and perhaps a skopeo) behind.
  const leftovers = cleanLeftovers();
  if (leftovers.killed.length > 0) writeLine(io.stderr, `stopped ${leftovers.killed.length} skopeo process(es) left running by an earlier run that was killed`);
  const released = onInterrupt(() => registries.disposeNow());
  // One cache per process: two opened side by side would each save over the other's entries.
  const platforms = options.platforms ?? (await PlatformCache.open(platformCacheDir(env)));
  const startedAt = new Date();
  try {
    // Listed before anything is copied: afterwards every tag would be in the target.
    const isNew = options.dryRun ? new Map<number, boolean>() : await newTargetTags(tasks, lister);
    const progress = createProgress({ total: tasks.length, stream: io.stdout });
    const { results: copied, dryRun } = await runSync({
      tasks,
      registries,
      progress,
      force: options.force,
      dryRun: options.dryRun,
      platforms,
      concurrency: options.concurrency ?? analysis.config.engine.concurrency,
      retries: options.retries ?? analysis.config.engine.retries,
      stallTimeoutMs: (options.stallTimeout ?? analysis.config.engine.stallTimeout) * 1000,
      attemptTimeoutMs: (options.attemptTimeout ?? analysis.config.engine.attemptTimeout) * 1000,
      ...(options.copier ? { copier: options.copier } : {}),
      ...(options.planned ? { planned: options.planned } : {}),
      peers: peerRepositories(analysis.rows, tasks),
      log: (fields, message) => writeLine(io.stderr, oneLine(`${message}: ${Object.entries(fields).map(([k, v]) => `${k}=${String(v)}`).join(" ")}`)),
    });
    if (options.dryRun) {
      for (const line of dryRun) writeLine(io.stdout, oneLine(dryRunLine(line)));
      return dryRun.some((l) => l.resolution.kind === "fail") || tagSetFailed ? EXIT.findings : EXIT.ok;
    }
    progress.finish();
    const results = await withSuggestions(markTagSetTasks(copied, tasks, isNew), tasks, lister);
    const result = buildResult(results, { request: env.MIRRORBOT_REQUEST || null, startedAt, finishedAt: new Date() });
    if (expanded.expansions.length > 0) result.tagSets = tagSetResults(expanded.expansions, results, lineOf);
    if (options.result) await writeResult(resolve(io.cwd, options.result), result);
    if (options.summary) await appendSummary(resolve(io.cwd, options.summary), renderSummary(result));
    for (const warning of await notify(result, analysis.config.notify, { env })) writeLine(io.stderr, `warning: ${warning}`);
    return result.summary.failed > 0 || tagSetFailed ? EXIT.findings : EXIT.ok;
  } finally {
    released();
    if (!options.platforms) await platforms.save();
    await registries.dispose();
  }
}

/** What a sync or a sharded plan starts from: the checked file, its tasks, open registries. */
export interface PreparedSync {
  analysis: Analysis;
  tasks: SyncTask[];
  registries: Registries;
  /** Tell the notify webhooks the run stopped before copying; resolves to exit code 2. */
  stop: (reason: string) => Promise<number>;
  /** Where the selected lines come from, for diagnostics: the images file or MIRRORBOT_IMAGES. */
  file: string;
  /** The tag sets expanded for this run (empty without tag sets). */
  expanded: ExpandedPlan;
  /** A task's images.txt line, tag-set rows included. */
  lineOf: (entry: ImageEntry) => number | null;
  /** The run's tag lister: each repository listed once. */
  lister: TagLister;
  /** A tag set had an error (over the cap, unknown repository): the run still copies the rest, then exits 1. */
  tagSetFailed: boolean;
}

/**
 * Check the images file, pick the entries to sync (MIRRORBOT_IMAGES, else `only`, else the
 * whole file), open the registries, expand tag sets and build the tasks. Resolves to an exit
 * code when the run must stop (a problem was printed) or there is nothing to do.
 */
export async function prepareSync(
  command: string,
  options: { file: string | undefined; config: string | undefined; only: string[]; dryRun: boolean; copier?: Copier },
  io: CliIo,
  env: NodeJS.ProcessEnv,
): Promise<PreparedSync | number> {
  const analysis = await analyzeOrExit(command, options.file, options.config, io, true);
  if (typeof analysis === "number") return analysis;
  const fileHasErrors = reportDiagnostics(analysis, io);
  const only = options.only;
  const imagesEnv = env.MIRRORBOT_IMAGES ?? "";
  const stop = stopper(analysis.config, options.dryRun, io, env);
  // A whole-file sync needs a valid file. A selective one (the bot's dispatch, --only)
  // must not be held hostage by a mistake on some other line: it needs only its own lines valid.
  if (fileHasErrors && only.length === 0 && imagesEnv.trim() === "") return stop(`${analysis.file} has errors; see the run's log`);

  const selected = selectRows(analysis, only, imagesEnv, options.config, io);
  if (typeof selected === "number") return selected;
  if (fileHasErrors && imagesEnv.trim() === "") {
    const bad = new Set(analysis.diagnostics.filter((d) => d.severity === "error").map((d) => d.line));
    const blocked = [...new Set([...selected.rows.map((r) => r.entry.line), ...selected.tagSets.map((e) => e.line)])].filter((line) => bad.has(line));
    if (blocked.length > 0) {
      writeLine(io.stderr, `mirrorbot ${command}: ${analysis.file} has errors on selected line${blocked.length > 1 ? "s" : ""} ${blocked.join(", ")}`);
      return EXIT.usage;
    }
  }
  if (fileHasErrors) writeLine(io.stderr, `mirrorbot ${command}: ${command === "sync" ? "syncing" : "planning"} only the selected entries; fix the errors above before the next full sync`);
  if (selected.rows.length === 0 && selected.tagSets.length === 0) {
    writeLine(io.stderr, `${analysis.file}: no images to mirror`);
    return EXIT.ok;
  }
  const sources = [...selected.rows.map((r) => r.entry.source.domain), ...selected.tagSets.map((e) => e.source.domain)];
  // A tag set's rows go to every target, so then every target counts.
  const skopeo = usesSkopeo(options.copier, selected.tagSets.length > 0 ? analysis.config.targets : selected.rows.map((r) => r.target));
  const registries = await openRegistries(command, analysis.config, sources, io, env, stop, skopeo, options.config);
  if (typeof registries === "number") return registries;

  // Every run expands tag sets again, so a new upstream tag is copied by the next run.
  const lister = tagLister(registries);
  const lineOf = (entry: ImageEntry) => selected.fromFile.get(entryKey(entry)) ?? selected.fromFile.get(entryKey(tagSetOf(entry))) ?? null;
  let expanded: ExpandedPlan;
  try {
    expanded = await expandPlan(selected.rows, selected.tagSets, analysis.config, lister, { file: selected.file, configFile: options.config, known: analysis.diagnostics });
  } catch (err) {
    await registries.dispose();
    throw err;
  }
  for (const d of expanded.diagnostics) writeLine(io.stderr, formatDiagnostic(d));
  const tagSetFailed = hasErrors(expanded.diagnostics);
  const tasks = buildTasks(expanded.rows, lineOf);
  if (tasks.length === 0) {
    await registries.dispose();
    writeLine(io.stderr, `${analysis.file}: no images to mirror`);
    return tagSetFailed ? EXIT.findings : EXIT.ok;
  }
  return { analysis, tasks, registries, stop, file: selected.file, expanded, lineOf, lister, tagSetFailed };
}

/** Whether skopeo will run: `--copier` for every target, else any of `targets` with `copier: skopeo`. */
export function usesSkopeo(copier: Copier | undefined, targets: ReadonlyArray<{ copier?: Copier | undefined }>): boolean {
  return copier !== undefined ? copier === "skopeo" : targets.some((t) => t.copier === "skopeo");
}

/**
 * Open the registries `tasks` talk to, with credentials and proxy settings checked; on a
 * problem print it, tell `stop`, and resolve to its exit code.
 */
export async function openRegistries(
  command: string,
  config: Analysis["config"],
  sources: Iterable<string>,
  io: CliIo,
  env: NodeJS.ProcessEnv,
  stop: (reason: string) => Promise<number>,
  /** Whether skopeo will run: it reads credentials from an auth file; the native copier needs none on disk. */
  skopeo: boolean,
  configFile: string | undefined,
): Promise<Registries | number> {
  let registries: Registries;
  try {
    registries = await Registries.open(config, new Set(sources), env, { skopeo, configFile: configFile ?? DEFAULT_CONFIG_PATH });
  } catch (err) {
    if (!(err instanceof CredentialsError)) throw err;
    for (const line of err.message.split("\n")) writeLine(io.stderr, `mirrorbot ${command}: ${line}`);
    return stop(err.message.replaceAll("\n", "; "));
  }
  // Only the settings these registries would use; read from the process environment, as
  // the registry client and skopeo read them.
  const proxyProblem = proxySettingsProblem(registries.endpoints());
  if (proxyProblem !== null) {
    await registries.dispose();
    writeLine(io.stderr, `mirrorbot ${command}: ${proxyProblem}`);
    return stop(proxyProblem);
  }
  return registries;
}

/**
 * What to do when a run stops before copying anything: tell the notify webhooks (the failure
 * a scheduled run's webhooks most need to report), unless it is a dry run; resolves to exit 2.
 */
export function stopper(config: Analysis["config"], dryRun: boolean, io: CliIo, env: NodeJS.ProcessEnv): (reason: string) => Promise<number> {
  return async (reason) => {
    if (dryRun) return EXIT.usage;
    for (const warning of await notifyStopped(reason, env.MIRRORBOT_REQUEST || null, config.notify, { env })) writeLine(io.stderr, `warning: ${warning}`);
    return EXIT.usage;
  };
}

/**
 * Target repositories of images.txt that this run does not write: a selective sync asks them
 * for the blobs it needs before uploading any, as a full sync learns from its own tasks.
 */
function peerRepositories(all: readonly PlannedTarget[], tasks: readonly SyncTask[]): Array<{ registry: string; repo: string }> {
  const inRun = new Set(tasks.map((t) => `${t.target.registry}/${t.targetRepo}`));
  const peers = new Map<string, { registry: string; repo: string }>();
  for (const row of all) {
    let repo: string;
    try {
      repo = parseReference(row.reference).path;
    } catch {
      continue;
    }
    const key = `${row.target.registry}/${repo}`;
    if (!inRun.has(key)) peers.set(key, { registry: row.target.registry, repo });
  }
  return [...peers.values()];
}

interface Selection {
  rows: PlannedTarget[];
  /** Tag sets to expand: the file's, the selected lines', or MIRRORBOT_IMAGES'. */
  tagSets: ImageEntry[];
  /** Where the selected lines come from, for diagnostics: the images file or MIRRORBOT_IMAGES. */
  file: string;
  /** entryKey -> images.txt line, for entries that are in the file. */
  fromFile: Map<string, number>;
}

/** Pick the rows to sync: MIRRORBOT_IMAGES lines, else --only filters, else the whole file. */
function selectRows(analysis: Analysis, only: string[], imagesEnv: string, configFile: string | undefined, io: CliIo): Selection | number {
  const fromFile = new Map<string, number>();
  for (const entry of [...analysis.rows.map((r) => r.entry), ...analysis.tagSets]) if (!fromFile.has(entryKey(entry))) fromFile.set(entryKey(entry), entry.line);

  if (imagesEnv.trim() !== "") {
    // Two selections at once would leave one silently ignored.
    if (only.length > 0) throw new UsageError("--only cannot be combined with MIRRORBOT_IMAGES: that variable already names the entries to sync");
    const entries: ImageEntry[] = [];
    let bad = false;
    splitLines(imagesEnv).forEach((line, i) => {
      const parsed = parseEntryLine(line, i + 1, "MIRRORBOT_IMAGES");
      for (const d of parsed.diagnostics) writeLine(io.stderr, formatDiagnostic(d));
      if (hasErrors(parsed.diagnostics)) bad = true;
      if (parsed.entry) entries.push(parsed.entry);
    });
    const all = expandPlatforms(entries, analysis.config.defaults.platforms);
    const planned = planTargets(all.filter((e) => !isTagSet(e)), analysis.config.targets, "MIRRORBOT_IMAGES");
    const naming = tagSetNamingDiagnostics(all.filter(isTagSet), analysis.config.targets, "MIRRORBOT_IMAGES");
    // The dispatch input is as untrusted as any request: the policy applies here too.
    const policy = policyDiagnostics(entries, analysis.config.policy, "MIRRORBOT_IMAGES", configFile ?? DEFAULT_CONFIG_PATH);
    for (const d of [...planned.diagnostics, ...naming, ...policy]) writeLine(io.stderr, formatDiagnostic(d));
    if (bad || hasErrors(planned.diagnostics) || hasErrors(naming) || hasErrors(policy)) return EXIT.usage;
    return { rows: planned.rows, tagSets: all.filter(isTagSet), file: "MIRRORBOT_IMAGES", fromFile };
  }

  if (only.length === 0) return { rows: analysis.rows, tagSets: analysis.tagSets, file: analysis.file, fromFile };
  const rows = new Set<PlannedTarget>();
  const tagSets = new Set<ImageEntry>();
  for (const item of only) {
    const matches = analysis.rows.filter(matcher(item));
    // A tag set is selected by its line number: its tags are not known before it is expanded.
    const sets = /^\d+$/.test(item) ? analysis.tagSets.filter((e) => e.line === Number(item)) : [];
    if (matches.length === 0 && sets.length === 0) throw new UsageError(`--only ${item} matches no entry in ${analysis.file}`);
    for (const m of matches) rows.add(m);
    for (const e of sets) tagSets.add(e);
  }
  return { rows: analysis.rows.filter((r) => rows.has(r)), tagSets: analysis.tagSets.filter((e) => tagSets.has(e)), file: analysis.file, fromFile };
}

/** `--only 3` matches line 3; `--only nginx:1.26` matches entries whose source is docker.io/library/nginx:1.26. */
function matcher(item: string): (row: PlannedTarget) => boolean {
  if (/^\d+$/.test(item)) return (row) => row.entry.line === Number(item);
  let wanted: string;
  try {
    wanted = canonical(parseReference(item));
  } catch (err) {
    if (err instanceof ReferenceError) throw new UsageError(`--only ${item}: ${err.reason}`);
    throw err;
  }
  return (row) => canonical(row.entry.source) === wanted;
}

function dryRunLine({ task, resolution }: DryRunLine): string {
  const what = `${canonical(task.source)}${task.platform ? ` [${formatPlatform(task.platform)}]` : ""} -> ${task.targetReference}`;
  switch (resolution.kind) {
    case "skip":
      return `up to date  ${what} (${shortDigest(resolution.targetDigest)})`;
    case "copy":
      return `would copy  ${what} (${shortDigest(resolution.sourceDigest)}${resolution.targetDigest ? `, target has ${shortDigest(resolution.targetDigest)}` : ", not in target"})`;
    case "fail":
      return `would fail  ${what}: ${resolution.error}`;
  }
}

/** A whole-number flag within the bounds the config file has for the same setting. */
export function boundedInt(value: string | undefined, flag: string, bounds: { min: number; max: number }): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < bounds.min || Number(value) > bounds.max) {
    throw new UsageError(`${flag} takes a whole number from ${bounds.min} to ${bounds.max}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}
