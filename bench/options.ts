/**
 * The benchmark's command line and the two profiles it selects: the full run (real sizes,
 * 3 runs each, WAN and BIG) and `--quick` (small layers, one run, loopback only).
 */
import { parseArgs } from "node:util";
import { z } from "zod";

/** Sizes of the synthetic layers, in bytes. */
export interface LayerSizes {
  base: number;
  runtime: number;
  own: number;
  big: number;
}

/** Everything that differs between a full and a quick run. */
export interface BenchOptions {
  quick: boolean;
  /** Repetitions per method and scenario; the wall time reported is their median. */
  runs: number;
  /** After this much time spent on one method in one scenario, stop repeating it (at least one run). */
  budgetMs: number;
  /** A single run that takes longer is killed and recorded as a timeout. */
  runTimeoutMs: number;
  sizes: LayerSizes;
  /** Tags per repository in the no-op set (10 gives S200 over 20 repositories). */
  noopTagsPerRepo: number;
  wan: boolean;
  big: boolean;
  /** Scenario ids to run; empty means all. */
  only: string[];
  /** Method ids to run; empty means all. */
  methods: string[];
  /** Where the JSON result goes. */
  outDir: string;
  /** Also print the tables as Markdown (for bench/README.md). */
  markdown: boolean;
}

const MB = 1_000_000;

/** Layer sizes of a full run: 170 MB of unique blobs in S20, a 1 GB BIG. */
export const FULL_SIZES: LayerSizes = { base: 20 * MB, runtime: 10 * MB, own: 5 * MB, big: 1000 * MB };
/** Layer sizes of `--quick`: a tenth, and a 50 MB BIG. */
export const QUICK_SIZES: LayerSizes = { base: 2 * MB, runtime: 1 * MB, own: MB / 2, big: 50 * MB };

const cliSchema = z.strictObject({
  quick: z.boolean().describe("small layers, one run, no WAN and no BIG: under two minutes"),
  runs: z.number().int().min(1).max(20).optional().describe("repetitions per method and scenario"),
  wan: z.boolean().optional().describe("include the WAN scenarios (default: on in a full run, off with --quick)"),
  big: z.boolean().optional().describe("include the 1 GB scenario (default: on in a full run, off with --quick)"),
  only: z.array(z.string().regex(/^[a-z0-9-]+$/)).describe("scenario ids to run, e.g. cold-loopback"),
  methods: z.array(z.string().regex(/^[a-z0-9-]+$/)).describe("method ids to run, e.g. skopeo-seq"),
  outDir: z.string().min(1).describe("directory for the JSON result"),
  markdown: z.boolean().describe("print Markdown tables too"),
});

export const usage = `Usage: npm run bench -- [options]

  --quick            small layers, 1 run, loopback only (under 2 minutes)
  --runs N           repetitions per method and scenario [3; 1 with --quick]
  --wan / --no-wan   include the WAN scenarios [on; off with --quick]
  --big / --no-big   include the 1 GB scenario [on; off with --quick]
  --only IDS         comma-separated scenario ids (cold-loopback, noop-wan, faults-loopback, big, ...)
  --methods IDS      comma-separated method ids (seed, skopeo-seq, skopeo-par8, skopeo-sync, mirrorbot, mirrorbot-skopeo)
  --out DIR          where the JSON goes [bench/out]
  --markdown         also print the tables as Markdown
  -h, --help         this text`;

function list(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** Parse the bench's arguments; null when --help was asked for. Throws with a readable message on bad input. */
export function parseOptions(argv: string[]): BenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    allowNegative: true,
    options: {
      quick: { type: "boolean" },
      runs: { type: "string" },
      wan: { type: "boolean" },
      big: { type: "boolean" },
      only: { type: "string" },
      methods: { type: "string" },
      out: { type: "string" },
      markdown: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return null;
  const runs = values.runs === undefined ? undefined : Number(values.runs);
  const parsed = cliSchema.safeParse({
    quick: values.quick ?? false,
    runs,
    wan: values.wan,
    big: values.big,
    only: list(values.only),
    methods: list(values.methods),
    outDir: values.out ?? "bench/out",
    markdown: values.markdown ?? false,
  });
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  const o = parsed.data;
  return {
    quick: o.quick,
    runs: o.runs ?? (o.quick ? 1 : 3),
    budgetMs: o.quick ? 60_000 : 420_000,
    runTimeoutMs: o.quick ? 120_000 : 20 * 60_000,
    sizes: o.quick ? QUICK_SIZES : FULL_SIZES,
    noopTagsPerRepo: o.quick ? 5 : 10,
    wan: o.wan ?? !o.quick,
    big: o.big ?? !o.quick,
    only: o.only,
    methods: o.methods,
    outDir: o.outDir,
    markdown: o.markdown,
  };
}
