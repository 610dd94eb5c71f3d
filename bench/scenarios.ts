/**
 * The scenarios (cold, no-op, incremental; loopback and WAN; BIG) and the loop that runs
 * every available method on each, interleaving the repetitions so that a slow spell of the
 * machine does not land on one method only.
 */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startFaultProxy, type FaultProxy } from "../test/harness/fault-proxy.js";
import type { RunningRegistry } from "../test/harness/registry.js";
import { measureRun, type RunRecord } from "./measure.js";
import type { Method, MirrorJob } from "./methods.js";
import type { BenchOptions } from "./options.js";
import { countedBytes, missingBlobBytes, type ImageSet } from "./sets.js";
import type { Stage } from "./stage.js";

/** A scenario: which set the source serves, what the target holds before each run, which network. */
export interface ScenarioDef {
  id: string;
  title: string;
  kind: "cold" | "noop" | "incremental" | "big";
  network: "loopback" | "wan";
  set: ImageSet["id"];
  /** The set the target already mirrors before each run, or null for an empty target. */
  initial: ImageSet["id"] | null;
  /** Faults a proxy in front of the target injects; the methods reach the target through it. */
  fault?: "target-503-every-3rd";
}

/** All scenarios in the order they run (grouped by source set, so each source is pushed once). */
export const SCENARIOS: readonly ScenarioDef[] = [
  { id: "cold-loopback", title: "cold S20, loopback", kind: "cold", network: "loopback", set: "S20", initial: null },
  { id: "cold-wan", title: "cold S20, WAN", kind: "cold", network: "wan", set: "S20", initial: null },
  { id: "cold-s200-loopback", title: "cold S200, loopback", kind: "cold", network: "loopback", set: "S200", initial: null },
  { id: "noop-loopback", title: "no-op S200, loopback", kind: "noop", network: "loopback", set: "S200", initial: "S200" },
  { id: "noop-wan", title: "no-op S200, WAN", kind: "noop", network: "wan", set: "S200", initial: "S200" },
  { id: "incremental-loopback", title: "incremental S20 -> S23, loopback", kind: "incremental", network: "loopback", set: "S23", initial: "S20" },
  { id: "incremental-wan", title: "incremental S20 -> S23, WAN", kind: "incremental", network: "wan", set: "S23", initial: "S20" },
  { id: "faults-loopback", title: "cold S20, loopback, 503 on every 3rd request at the target", kind: "cold", network: "loopback", set: "S20", initial: null, fault: "target-503-every-3rd" },
  { id: "big", title: "BIG (one 1 GB layer), cold, loopback", kind: "big", network: "loopback", set: "BIG", initial: null },
];

/** One method's outcome in one scenario. */
export interface MethodResult {
  id: Method["id"];
  label: string;
  /** Set when the method did not run at all. */
  unavailable?: string;
  runs: RunRecord[];
  /** Repetitions left out because the method had used up its time budget. */
  skippedRuns: number;
}

/** One scenario's outcome. */
export interface ScenarioResult {
  def: ScenarioDef;
  entries: number;
  /** Blob bytes the target lacks before a run: what an ideal mirror uploads. */
  uniqueBytes: number;
  /** Blob bytes counted per image over all entries. */
  countedBytes: number;
  methods: MethodResult[];
}

/** The title with BIG's real layer size (smaller with --quick). */
function titleOf(def: ScenarioDef, bigBytes: number): string {
  const size = bigBytes >= 1e9 ? `${bigBytes / 1e9} GB` : `${bigBytes / 1e6} MB`;
  return def.kind === "big" ? def.title.replace("1 GB", size) : def.title;
}

/** Pick the scenarios the options ask for. */
export function selectScenarios(opts: BenchOptions): ScenarioDef[] {
  return SCENARIOS.filter(
    (s) => (opts.only.length === 0 || opts.only.includes(s.id)) && (opts.wan || s.network !== "wan") && (opts.big || s.kind !== "big"),
  );
}

function jobFor(set: ImageSet, sourceHost: string, targetHost: string): MirrorJob {
  const sourceTags = new Map<string, string[]>();
  for (const e of set.entries) sourceTags.set(e.repo, [...(sourceTags.get(e.repo) ?? []), e.tag]);
  return { source: sourceHost, target: targetHost, entries: set.entries.map(({ repo, tag }) => ({ repo, tag })), sourceTags };
}

/** A proxy in front of `target` answering 503 to every 3rd request, the flaky target of issue #11. */
function targetFaults(target: RunningRegistry): Promise<FaultProxy> {
  return startFaultProxy(target, [{ every: 3, fault: { kind: "status", status: 503, code: "UNAVAILABLE", message: "service unavailable" } }]);
}

/** Progress goes to stderr, between runs only: nothing is written while a run is measured. */
function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Run every method `opts.runs` times on one scenario, against `source` (already serving the
 * scenario's set). A method stops repeating once it has used `opts.budgetMs`.
 */
export async function runScenario(
  stage: Stage,
  def: ScenarioDef,
  source: RunningRegistry,
  methods: ReadonlyArray<{ method: Method; unavailable: string | null }>,
  opts: BenchOptions,
  signal: AbortSignal,
): Promise<ScenarioResult> {
  const set = await stage.set(def.set);
  const initial = def.initial ? await stage.set(def.initial) : null;
  const result: ScenarioResult = {
    def: { ...def, title: titleOf(def, opts.sizes.big) },
    entries: set.entries.length,
    uniqueBytes: missingBlobBytes(set, initial),
    countedBytes: countedBytes(set),
    methods: methods.map(({ method, unavailable }) => {
      const r: MethodResult = { id: method.id, label: method.label, runs: [], skippedRuns: 0 };
      if (unavailable !== null) r.unavailable = unavailable;
      return r;
    }),
  };
  const proxy = def.network === "wan" ? await stage.wan(source) : null;
  const sourceHost = proxy?.host ?? source.host;
  const spent = new Map<string, number>();
  try {
    for (let run = 1; run <= opts.runs; run++) {
      for (const [i, { method, unavailable }] of methods.entries()) {
        if (unavailable !== null) continue;
        const mr = result.methods[i]!;
        if (run > 1 && (spent.get(method.id) ?? 0) > opts.budgetMs) {
          mr.skippedRuns++;
          continue;
        }
        if (signal.aborted) throw new Error("interrupted");
        const target = await stage.target(initial);
        const faults = def.fault ? await targetFaults(target) : null;
        const started = performance.now();
        try {
          const record = await measureRun({
            method,
            run,
            job: jobFor(set, sourceHost, faults?.host ?? target.host),
            source,
            target,
            expected: set.entries,
            exclude: stage.registryPids(),
            scratch: join(stage.workDir, "scratch"),
            timeoutMs: opts.runTimeoutMs,
            signal,
          });
          mr.runs.push(record);
          const v = record.verify;
          const note = record.ok ? "" : `  FAILED: ${record.error ?? `${v.missing} missing, ${v.wrong} wrong digests (${v.examples.join("; ")})`}`;
          const injected = faults ? ` (${faults.count("status")} faults injected)` : "";
          progress(`[${def.id}] ${method.id} run ${run}/${opts.runs}: ${(record.wallMs / 1000).toFixed(2)} s${injected}${note}`);
        } finally {
          spent.set(method.id, (spent.get(method.id) ?? 0) + performance.now() - started);
          await faults?.close();
          await stage.stop(target);
        }
      }
    }
  } finally {
    if (proxy) await stage.closeProxy(proxy);
  }
  return result;
}
