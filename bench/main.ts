/**
 * `npm run bench [-- --quick]`: mirror the same image sets with five methods, side by side in
 * one run, and print one table per scenario plus the targets with PASS / MISS. See bench/README.md.
 */
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, release, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { METHODS, type Method } from "./methods.js";
import { parseOptions, usage, type BenchOptions } from "./options.js";
import { checkTargets, markdownTable, targetLines, textTable } from "./report.js";
import { runScenario, selectScenarios, type ScenarioDef, type ScenarioResult } from "./scenarios.js";
import { killAllChildren } from "./spawn.js";
import { Stage, WAN } from "./stage.js";

function version(command: string, args: string[]): Promise<string> {
  return new Promise((done) => {
    execFile(command, args, { timeout: 10_000 }, (err, stdout) => done(err ? "unknown" : stdout.trim().split("\n")[0] ?? "unknown"));
  });
}

async function machine(): Promise<Record<string, string | number>> {
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    cpu: `${cpu.length} x ${cpu[0]?.model ?? "unknown"}`,
    memoryGB: Math.round(totalmem() / 1e9),
    kernel: release(),
    // Other work on the machine skews wall times; the load average at start tells whether there was some.
    loadAverage: loadavg().map((l) => l.toFixed(2)).join(" "),
    node: process.version,
    skopeo: await version("skopeo", ["--version"]),
    registry: await version("docker-registry", ["--version"]),
  };
}

async function availableMethods(opts: BenchOptions): Promise<Array<{ method: Method; unavailable: string | null }>> {
  const chosen = METHODS.filter((m) => opts.methods.length === 0 || opts.methods.includes(m.id));
  return Promise.all(chosen.map(async (method) => ({ method, unavailable: await method.unavailable() })));
}

async function bench(opts: BenchOptions, stage: Stage, signal: AbortSignal): Promise<void> {
  const info = await machine();
  const methods = await availableMethods(opts);
  for (const m of methods) if (m.unavailable !== null) process.stderr.write(`${m.method.label}: ${m.unavailable}; its rows are marked pending\n`);
  const scenarios = selectScenarios(opts);
  const results: ScenarioResult[] = [];
  // Scenarios of one set share one source registry, pushed once.
  const bySet = new Map<string, ScenarioDef[]>();
  for (const s of scenarios) bySet.set(s.set, [...(bySet.get(s.set) ?? []), s]);
  for (const [setId, defs] of bySet) {
    process.stderr.write(`building and pushing ${setId}...\n`);
    const source = await stage.source(await stage.set(defs[0]!.set));
    try {
      for (const def of defs) {
        const result = await runScenario(stage, def, source, methods, opts, signal);
        results.push(result);
        process.stdout.write(`\n${textTable(result)}\n`);
      }
    } finally {
      await stage.stop(source);
    }
  }

  const targets = checkTargets(results);
  const caveat = opts.quick ? " (--quick: small layers, fewer tags, one run; indicative only)" : "";
  process.stdout.write(`\n== targets${caveat}\n${targetLines(targets)}\n`);
  if (opts.markdown) {
    process.stdout.write(`\n${results.map(markdownTable).join("\n\n")}\n\n${targetLines(targets, true)}\n`);
  }
  const outDir = resolve(opts.outDir);
  await mkdir(outDir, { recursive: true });
  info.loadAverageAtEnd = loadavg().map((l) => l.toFixed(2)).join(" ");
  const json = JSON.stringify({ version: 1, machine: info, wan: WAN, options: opts, scenarios: results, targets }, null, 2);
  const stamp = String(info.date).replace(/[:.]/g, "-");
  await writeFile(join(outDir, `bench-${opts.quick ? "quick-" : ""}${stamp}.json`), `${json}\n`);
  await writeFile(join(outDir, "latest.json"), `${json}\n`);
  process.stdout.write(`\nJSON: ${join(outDir, "latest.json")}\n`);
}

async function main(argv: string[]): Promise<number> {
  let opts: BenchOptions | null;
  try {
    opts = parseOptions(argv);
  } catch (err) {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n${usage}\n`);
    return 2;
  }
  if (opts === null) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const stage = await Stage.create(opts.sizes, opts.noopTagsPerRepo);
  const abort = new AbortController();
  let interrupted = false;
  const onSignal = (name: string) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\nbench: ${name}, stopping everything it started...\n`);
    abort.abort();
    killAllChildren();
    void stage.dispose().finally(() => process.exit(130));
  };
  process.once("SIGINT", () => onSignal("SIGINT"));
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  try {
    await bench(opts, stage, abort.signal);
    return 0;
  } catch (err) {
    if (abort.signal.aborted) return 130;
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  } finally {
    killAllChildren();
    await stage.dispose();
  }
}

process.exitCode = await main(process.argv.slice(2));
