/**
 * Run a workflow step the way the Actions runner does: the step's own `run:` command and
 * `env:` read from the workflow file, in a checkout of the default branch with its `npm ci`
 * done (here: src built once into a scratch checkout, node_modules linked), as a separate
 * process per event, with the runner's variables, a step summary file, and a token that
 * stands for the job's `GITHUB_TOKEN` (the fake GitHub grants it the job's `permissions:`).
 */
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse } from "yaml";
import type { Permissions } from "./fake-github.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const run = promisify(execFile);

interface Step {
  name?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Job {
  permissions?: Record<string, string>;
  steps: Step[];
}

/** A job of one of the repository's workflows, as its file says. */
export async function workflowJob(file: string, job: string): Promise<Job> {
  const workflow = parse(await readFile(join(ROOT, ".github/workflows", file), "utf8")) as { jobs: Record<string, Job> };
  const found = workflow.jobs[job];
  if (!found) throw new Error(`${file} has no job ${job}`);
  return found;
}

/**
 * The permissions a job's GITHUB_TOKEN gets from its `permissions:` (GitHub's names, with
 * underscores), after `change` (a permission set to null is removed, as if the line were deleted).
 */
export function jobPermissions(job: Job, change: Record<string, "read" | "write" | null> = {}): Permissions {
  const granted: Record<string, string> = { ...job.permissions };
  for (const [key, value] of Object.entries(change)) {
    if (value === null) delete granted[key];
    else granted[key] = value;
  }
  return Object.fromEntries(Object.entries(granted).map(([k, v]) => [k.replace(/-/g, "_"), v])) as Permissions;
}

/** A checkout of the default branch after `npm ci`: src compiled, dependencies in place. */
export interface Checkout {
  readonly dir: string;
  cleanup(): Promise<void>;
}

/** Build src once into a scratch checkout, as `npm ci` (its `prepare` script) does on the runner. */
export async function buildCheckout(): Promise<Checkout> {
  const dir = await mkdtemp(join(tmpdir(), "mirrorbot-checkout-"));
  const config = {
    extends: join(ROOT, "tsconfig.json"),
    compilerOptions: { rootDir: ROOT, outDir: join(dir, "dist"), sourceMap: false, typeRoots: [join(ROOT, "node_modules/@types")] },
    include: [join(ROOT, "src")],
  };
  await writeFile(join(dir, "tsconfig.json"), JSON.stringify(config));
  await run(join(ROOT, "node_modules/.bin/tsc"), ["-p", join(dir, "tsconfig.json")], { cwd: ROOT, timeout: 180_000 });
  await copyFile(join(ROOT, "package.json"), join(dir, "package.json"));
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** What the runner shows of a finished step. */
export interface StepRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The `::error` lines, as the log shows them. */
  readonly errors: string[];
  /** What the step wrote to GITHUB_STEP_SUMMARY. */
  readonly summary: string;
  readonly ms: number;
}

/** Everything one step run needs. */
export interface StepSpec {
  readonly checkout: Checkout;
  readonly workflow: string;
  readonly job: string;
  /** The step's `name:`. */
  readonly step: string;
  readonly token: string;
  readonly apiUrl: string;
  readonly eventName: string;
  readonly payload: unknown;
  /** Values of `${{ ... }}` expressions in the step's env besides `github.token`, by their whole text, e.g. `needs.mirror.result`. */
  readonly expressions?: Record<string, string>;
  readonly runId?: number;
  readonly workflowRef?: string;
  readonly repository: string;
}

let serial = 0;

/** Run one step in its own process, as the runner runs `run:` (bash -e), and collect what it showed. */
export async function runJobStep(spec: StepSpec): Promise<StepRun> {
  const job = await workflowJob(spec.workflow, spec.job);
  const step = job.steps.find((s) => s.name === spec.step);
  if (!step?.run) throw new Error(`${spec.workflow} ${spec.job} has no run step named ${spec.step}`);
  const scratch = await mkdtemp(join(tmpdir(), "mirrorbot-step-"));
  const n = ++serial;
  const eventPath = join(scratch, "event.json");
  const summaryPath = join(scratch, "summary.md");
  await writeFile(eventPath, JSON.stringify(spec.payload));
  await writeFile(summaryPath, "");
  const values: Record<string, string> = { "github.token": spec.token, ...spec.expressions };
  const stepEnv = Object.fromEntries(
    Object.entries(step.env ?? {}).map(([k, v]) => [
      k,
      String(v).replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expr: string) => {
        if (!(expr in values)) throw new Error(`no value for \${{ ${expr} }} in the test`);
        return values[expr]!;
      }),
    ]),
  );
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? scratch,
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_EVENT_NAME: spec.eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_API_URL: spec.apiUrl,
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_REPOSITORY: spec.repository,
    GITHUB_RUN_ID: String(spec.runId ?? 7_000_000_000 + n),
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_WORKFLOW_REF: spec.workflowRef ?? `${spec.repository}/.github/workflows/${spec.workflow}@refs/heads/main`,
    GITHUB_STEP_SUMMARY: summaryPath,
    ...stepEnv,
  };
  const started = Date.now();
  // `bash --noprofile --norc -eo pipefail` is how the runner runs a `shell: bash` step.
  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run!], { cwd: spec.checkout.dir, env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
  const ms = Date.now() - started;
  const summary = await readFile(summaryPath, "utf8");
  await rm(scratch, { recursive: true, force: true });
  const errors = result.stdout.split("\n").filter((l) => l.startsWith("::error"));
  return { ...result, errors, summary, ms };
}
