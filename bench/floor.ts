/**
 * `npm run bench:floor`: how far the cold S20 loopback run is from the floor, measured in one
 * run. It interleaves three methods on the same data, each against a fresh target, through the
 * main bench's measurement and verification:
 *
 * - seed-style (the issue's yardstick: mirrorbot should take at most a third of it);
 * - mirrorbot sync;
 * - the floor: bench/raw-upload.ts, which uploads every blob once from the local OCI layout
 *   (POST + one PUT), mounts shared blobs and PUTs the manifests: the fewest requests any
 *   mirror can send, with nothing read from the source and nothing checked.
 *
 * Beside wall times it records the CPU-seconds each registry spent, which is what decides a
 * CPU-bound run on two cores. `--small` uses the --quick layer sizes (10x smaller): what stays
 * is the cost per image and per request rather than per byte.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import { measureRun, type RunRecord } from "./measure.js";
import { METHODS, type Method } from "./methods.js";
import { cpuSeconds } from "./proc.js";
import { FULL_SIZES, QUICK_SIZES } from "./options.js";
import { alignedTable, formatBytes, formatMs, median } from "./report.js";
import { TARGET_NAMESPACE } from "./sets.js";
import { killAllChildren, run } from "./spawn.js";
import { Stage } from "./stage.js";

const optionsSchema = z.strictObject({
  runs: z.coerce.number().int().min(1).max(20).describe("repetitions of each method"),
  small: z.boolean().describe("use the --quick layer sizes (2/1/0.5 MB) instead of 20/10/5 MB"),
});

interface Row {
  method: Method;
  runs: Array<RunRecord & { targetCpu: number; sourceCpu: number }>;
}

function floorMethod(layoutDir: string, plan: Array<{ repo: string; tag: string; digest: string }>): Method {
  const script = fileURLToPath(new URL("./raw-upload.js", import.meta.url));
  return {
    id: "floor",
    label: "floor: raw uploads",
    unavailable: async () => null,
    async prepare(ctx) {
      await writeFile(join(ctx.scratch, "plan.json"), JSON.stringify(plan.map((e) => ({ ...e, repo: `${TARGET_NAMESPACE}/${e.repo}` }))));
    },
    async run(ctx) {
      const env = { ...process.env, BENCH_TARGET_USERNAME: ctx.targetAuth.username, BENCH_TARGET_PASSWORD: ctx.targetAuth.password };
      await run(process.execPath, [script, layoutDir, ctx.job.target, join(ctx.scratch, "plan.json")], { env, timeoutMs: ctx.timeoutMs, signal: ctx.signal });
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, small: { type: "boolean", default: false } } });
  const opts = optionsSchema.parse(values);
  // BIG is never built here: keep its layer tiny.
  const sizes = { ...(opts.small ? QUICK_SIZES : FULL_SIZES), big: 1_000_000 };
  const stage = await Stage.create(sizes, 1);
  const signal = new AbortController().signal;
  try {
    const set = await stage.set("S20");
    const source = await stage.source(set);
    const methods = [...METHODS.filter((m) => m.id === "seed" || m.id === "mirrorbot"), floorMethod(stage.layoutDir, set.entries)];
    const rows: Row[] = methods.map((method) => ({ method, runs: [] }));
    for (let n = 1; n <= opts.runs; n++) {
      for (const row of rows) {
        const target = await stage.target(null);
        try {
          const before = { target: cpuSeconds(target.pid), source: cpuSeconds(source.pid) };
          const record = await measureRun({
            method: row.method,
            run: n,
            job: { source: source.host, target: target.host, entries: set.entries, sourceTags: new Map() },
            source,
            target,
            expected: set.entries,
            exclude: stage.registryPids(),
            scratch: join(stage.workDir, "scratch"),
            timeoutMs: 10 * 60_000,
            signal,
          });
          // Read after measureRun's verification HEADs: a few requests, a few milliseconds.
          row.runs.push({ ...record, targetCpu: cpuSeconds(target.pid) - before.target, sourceCpu: cpuSeconds(source.pid) - before.source });
          process.stderr.write(`${row.method.id} run ${n}/${opts.runs}: ${formatMs(record.wallMs)}${record.ok ? "" : `  FAILED: ${record.error ?? JSON.stringify(record.verify)}`}\n`);
        } finally {
          await stage.stop(target);
        }
      }
    }
    report(rows, opts.small);
  } finally {
    killAllChildren();
    await stage.dispose();
  }
}

function report(rows: Row[], small: boolean): void {
  const wall = (row: Row) => median(row.runs.map((r) => r.wallMs));
  const lines = rows.map((row) => {
    const ms = row.runs.map((r) => r.wallMs);
    return [
      row.method.label,
      `${formatMs(wall(row))} [${formatMs(Math.min(...ms))}-${formatMs(Math.max(...ms))}]`,
      `${median(row.runs.map((r) => r.targetCpu)).toFixed(2)} s`,
      `${median(row.runs.map((r) => r.sourceCpu)).toFixed(2)} s`,
      String(median(row.runs.map((r) => r.target.requests))),
      formatBytes(median(row.runs.map((r) => r.target.uploadedBytes))),
      `${row.runs.filter((r) => r.ok).length}/${row.runs.length}`,
    ];
  });
  const header = ["method", "wall median [min-max]", "target CPU", "source CPU", "target requests", "uploaded", "verified"];
  process.stdout.write(`\n== cold S20, loopback${small ? ", small layers (2/1/0.5 MB)" : ""}: seed-style, mirrorbot and the floor\n`);
  process.stdout.write(`${alignedTable(header, lines)}\n`);
  const [seed, mirrorbot, floor] = rows.map(wall) as [number, number, number];
  process.stdout.write(
    `\nseed-style / 3 = ${formatMs(seed / 3)} (the issue's target); mirrorbot ${formatMs(mirrorbot)} = ${(seed / mirrorbot).toFixed(2)}x faster than seed-style, ${(mirrorbot / floor).toFixed(2)}x the floor; the target is ${(seed / 3 / floor).toFixed(2)}x the floor\n`,
  );
}

await main();
