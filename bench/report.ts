/**
 * Turn the runs into what people read: one table per scenario (medians, with the wall time's
 * min and max), the targets with PASS / MISS, and the same data as JSON and Markdown.
 */
import type { RunRecord } from "./measure.js";
import type { MethodResult, ScenarioResult } from "./scenarios.js";

/** Median of the numbers (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Decimal units: 1 MB = 1,000,000 bytes. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return "-";
  if (n < 1e3) return `${Math.round(n)} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

/** "850 ms", "12.3 s". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "-";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** The medians of one method's runs. */
export interface Summary {
  runs: number;
  failed: number;
  wallMs: { median: number; min: number; max: number };
  uploadedBytes: number;
  sourceBlobBytes: number;
  sourceManifestGets: number;
  sourceManifestHeads: number;
  targetUploads: number;
  targetManifestPuts: number;
  diskWriteBytes: number;
  peakRssBytes: number;
  /** Tags the target held with the source's digest after a run (median), of `checked`. */
  copied: number;
  checked: number;
}

/** Summarize a method's runs (all of them, failed ones included: failures are shown separately). */
export function summarize(runs: readonly RunRecord[]): Summary {
  const m = (f: (r: RunRecord) => number) => median(runs.map(f));
  const walls = runs.map((r) => r.wallMs);
  return {
    runs: runs.length,
    failed: runs.filter((r) => !r.ok).length,
    wallMs: { median: median(walls), min: Math.min(...walls), max: Math.max(...walls) },
    uploadedBytes: m((r) => r.target.uploadedBytes),
    sourceBlobBytes: m((r) => r.source.blobBytes),
    sourceManifestGets: m((r) => r.source.manifestGets),
    sourceManifestHeads: m((r) => r.source.manifestHeads),
    targetUploads: m((r) => r.target.uploads),
    targetManifestPuts: m((r) => r.target.manifestPuts),
    diskWriteBytes: m((r) => r.disk.writeBytes),
    peakRssBytes: m((r) => r.rss.peakBytes),
    copied: m((r) => r.verify.checked - r.verify.missing - r.verify.wrong),
    checked: runs[0]?.verify.checked ?? 0,
  };
}

const HEADERS = ["method", "copied", "wall median [min-max]", "uploaded / unique", "source read", "src manifest GET/HEAD", "tgt uploads/manifest PUT", "disk written", "peak RSS", "runs"];

function row(scenario: ScenarioResult, mr: MethodResult): string[] {
  if (mr.unavailable !== undefined) return [mr.label, "", "pending: not available", "", "", "", "", "", "", "0"];
  if (mr.runs.length === 0) return [mr.label, "", "not run", "", "", "", "", "", "", "0"];
  const s = summarize(mr.runs);
  const ratio = scenario.uniqueBytes > 0 ? ` = ${(s.uploadedBytes / scenario.uniqueBytes).toFixed(2)}x` : "";
  const runs = `${s.runs}${s.failed > 0 ? ` (${s.failed} FAILED)` : ""}${mr.skippedRuns > 0 ? ` (budget: ${mr.skippedRuns} skipped)` : ""}`;
  return [
    mr.label,
    `${s.copied}/${s.checked}`,
    `${formatMs(s.wallMs.median)} [${formatMs(s.wallMs.min)}-${formatMs(s.wallMs.max)}]`,
    `${formatBytes(s.uploadedBytes)} / ${formatBytes(scenario.uniqueBytes)}${ratio}`,
    formatBytes(s.sourceBlobBytes),
    `${s.sourceManifestGets}/${s.sourceManifestHeads}`,
    `${s.targetUploads}/${s.targetManifestPuts}`,
    formatBytes(s.diskWriteBytes),
    formatBytes(s.peakRssBytes),
    runs,
  ];
}

function heading(s: ScenarioResult): string {
  return `${s.def.title}: ${s.entries} tags, ${formatBytes(s.uniqueBytes)} unique to upload, ${formatBytes(s.countedBytes)} counted per image`;
}

/** A plain-text table for a terminal. */
export function textTable(s: ScenarioResult): string {
  return `== ${heading(s)}\n${alignedTable(HEADERS, s.methods.map((m) => row(s, m)))}`;
}

/** Columns padded to their widest cell, a dashed rule under the header. */
export function alignedTable(header: readonly string[], body: readonly string[][]): string {
  const rows = [header, ...body];
  const widths = header.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  const line = (r: readonly string[]) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

/** The same table in Markdown, for bench/README.md. */
export function markdownTable(s: ScenarioResult): string {
  const line = (r: string[]) => `| ${r.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`;
  return [`#### ${heading(s)}`, "", line(HEADERS), line(HEADERS.map(() => "---")), ...s.methods.map((m) => line(row(s, m)))].join("\n");
}

/** One target from the issue, checked against this run's numbers. */
export interface TargetCheck {
  scenario: string;
  target: string;
  status: "PASS" | "MISS" | "PENDING" | "NOT RUN";
  detail: string;
}

function find(results: readonly ScenarioResult[], id: string): ScenarioResult | undefined {
  return results.find((r) => r.def.id === id);
}

function method(s: ScenarioResult, id: MethodResult["id"]): MethodResult | undefined {
  return s.methods.find((m) => m.id === id);
}

type Check = (s: ScenarioResult, mb: Summary, mbRuns: readonly RunRecord[]) => { pass: boolean; detail: string };

function wall(s: ScenarioResult, id: MethodResult["id"]): number {
  const m = method(s, id);
  return m && m.runs.length > 0 ? summarize(m.runs).wallMs.median : Number.NaN;
}

const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : Number.NaN);

const TARGETS: ReadonlyArray<{ scenario: string; target: string; check: Check }> = [
  {
    scenario: "cold-loopback",
    target: "mirrorbot <= 1/3 of the seed-style time",
    check: (s, mb) => {
      const seed = wall(s, "seed");
      return { pass: mb.wallMs.median * 3 <= seed, detail: `${formatMs(mb.wallMs.median)} vs ${formatMs(seed)} (${ratio(seed, mb.wallMs.median).toFixed(2)}x faster)` };
    },
  },
  {
    scenario: "cold-loopback",
    target: "mirrorbot below the best skopeo method",
    check: (s, mb) => {
      const best = (["skopeo-seq", "skopeo-par8", "skopeo-sync"] as const).map((id) => ({ id, ms: wall(s, id) })).filter((x) => Number.isFinite(x.ms)).sort((a, b) => a.ms - b.ms)[0];
      if (!best) return { pass: false, detail: "no skopeo method ran" };
      return { pass: mb.wallMs.median < best.ms, detail: `${formatMs(mb.wallMs.median)} vs ${best.id} ${formatMs(best.ms)}` };
    },
  },
  {
    scenario: "cold-loopback",
    target: "mirrorbot uploads exactly 1.00x the unique bytes (every run)",
    check: (s, _mb, runs) => {
      const worst = runs.map((r) => r.target.uploadedBytes).find((b) => b !== s.uniqueBytes);
      return { pass: worst === undefined, detail: `${formatBytes(worst ?? s.uniqueBytes)} uploaded for ${formatBytes(s.uniqueBytes)} unique (${(worst ?? s.uniqueBytes) / s.uniqueBytes}x)` };
    },
  },
  {
    scenario: "cold-s200-loopback",
    target: "mirrorbot <= skopeo sync",
    check: (s, mb) => {
      const sync = wall(s, "skopeo-sync");
      return { pass: mb.wallMs.median <= sync, detail: `${formatMs(mb.wallMs.median)} vs ${formatMs(sync)} (${ratio(sync, mb.wallMs.median).toFixed(2)}x)` };
    },
  },
  {
    scenario: "noop-loopback",
    target: "mirrorbot <= 10 ms per entry",
    check: (s, mb) => {
      const per = mb.wallMs.median / s.entries;
      return { pass: per <= 10, detail: `${per.toFixed(2)} ms per entry (${formatMs(mb.wallMs.median)} for ${s.entries})` };
    },
  },
  {
    scenario: "noop-loopback",
    target: "mirrorbot >= 5x faster than sequential skopeo copy --all",
    check: (s, mb) => {
      const x = ratio(wall(s, "skopeo-seq"), mb.wallMs.median);
      return { pass: x >= 5, detail: `${x.toFixed(1)}x` };
    },
  },
  {
    scenario: "noop-loopback",
    target: "zero manifest GETs at the source (every run)",
    check: (_s, _mb, runs) => {
      const worst = Math.max(...runs.map((r) => r.source.manifestGets));
      return { pass: worst === 0, detail: `${worst} manifest GETs` };
    },
  },
  {
    scenario: "noop-loopback",
    target: "zero blob uploads and zero manifest PUTs at the target (every run)",
    check: (_s, _mb, runs) => {
      const uploads = Math.max(...runs.map((r) => r.target.uploads));
      const puts = Math.max(...runs.map((r) => r.target.manifestPuts));
      return { pass: uploads === 0 && puts === 0, detail: `${uploads} uploads, ${puts} manifest PUTs` };
    },
  },
  {
    scenario: "cold-wan",
    target: "mirrorbot >= 2x faster than sequential skopeo",
    check: (s, mb) => {
      const x = ratio(wall(s, "skopeo-seq"), mb.wallMs.median);
      return { pass: x >= 2, detail: `${x.toFixed(2)}x (${formatMs(mb.wallMs.median)} vs ${formatMs(wall(s, "skopeo-seq"))})` };
    },
  },
  {
    scenario: "noop-wan",
    target: "mirrorbot >= 10x faster than sequential skopeo",
    check: (s, mb) => {
      const x = ratio(wall(s, "skopeo-seq"), mb.wallMs.median);
      return { pass: x >= 10, detail: `${x.toFixed(1)}x (${formatMs(mb.wallMs.median)} vs ${formatMs(wall(s, "skopeo-seq"))})` };
    },
  },
  {
    scenario: "faults-loopback",
    target: "mirrorbot copies every image, exit 0 (every run); wall time against copier: skopeo",
    check: (s, mb, runs) => {
      const other = method(s, "mirrorbot-skopeo");
      const theirs = other && other.runs.length > 0 ? summarize(other.runs) : null;
      const vs = theirs ? `; copier: skopeo ${theirs.copied}/${theirs.checked} in ${formatMs(theirs.wallMs.median)}` : "; copier: skopeo not run";
      return { pass: runs.every((r) => r.ok), detail: `${mb.copied}/${mb.checked} in ${formatMs(mb.wallMs.median)}${vs}` };
    },
  },
  {
    scenario: "big",
    target: "mirrorbot writes < 1 MB to local disk (every run)",
    check: (_s, _mb, runs) => {
      const worst = Math.max(...runs.map((r) => r.disk.writeBytes));
      return { pass: worst < 1e6, detail: `${formatBytes(worst)} written` };
    },
  },
  {
    scenario: "big",
    target: "peak RSS of mirrorbot's process tree < 150 MB (every run)",
    check: (_s, _mb, runs) => {
      const worst = Math.max(...runs.map((r) => r.rss.peakBytes));
      return { pass: worst < 150e6, detail: `${formatBytes(worst)} peak` };
    },
  },
];

/** Check every target; ratios use medians of this run, never numbers from elsewhere. */
export function checkTargets(results: readonly ScenarioResult[]): TargetCheck[] {
  return TARGETS.map(({ scenario, target, check }) => {
    const s = find(results, scenario);
    if (!s) return { scenario, target, status: "NOT RUN", detail: "scenario not selected" };
    const mb = method(s, "mirrorbot");
    if (!mb || mb.unavailable !== undefined) return { scenario, target, status: "PENDING", detail: mb?.unavailable ?? "mirrorbot not selected" };
    if (mb.runs.length === 0) return { scenario, target, status: "NOT RUN", detail: "no mirrorbot run" };
    const failed = mb.runs.filter((r) => !r.ok).length;
    const { pass, detail } = check(s, summarize(mb.runs), mb.runs);
    if (failed > 0) return { scenario, target, status: "MISS", detail: `${failed} of ${mb.runs.length} mirrorbot runs failed; ${detail}` };
    return { scenario, target, status: pass ? "PASS" : "MISS", detail };
  });
}

/** The targets as text lines. */
export function targetLines(checks: readonly TargetCheck[], markdown = false): string {
  if (markdown) {
    return ["| scenario | target | result | measured |", "| --- | --- | --- | --- |", ...checks.map((c) => `| ${c.scenario} | ${c.target} | ${c.status} | ${c.detail} |`)].join("\n");
  }
  const w = Math.max(...checks.map((c) => c.scenario.length));
  return checks.map((c) => `${c.status.padEnd(7)}  ${c.scenario.padEnd(w)}  ${c.target}: ${c.detail}`).join("\n");
}
