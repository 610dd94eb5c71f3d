/**
 * One workflow step of the Actions mode, start to end: validate the runner's environment,
 * read the event, hand the event to the app, and turn
 * any failure into a non-zero exit and one `::error` annotation that says what went wrong.
 */
import { appendFile } from "node:fs/promises";
import type { ProbotOctokit } from "probot";
import { createApp } from "../app/app.js";
import { apiMessage, httpStatus } from "../app/github/client.js";
import { SetupProblem } from "../app/github/setup-problem.js";
import { actionsIdentity } from "../app/github/identity.js";
import { redact } from "../engine/redact.js";
import { deliver, deliveryId, tokenProbot } from "./adapter.js";
import { readActionEnv, logLevel, type ActionEnv } from "./env.js";
import { currentEvent, currentRunCompleted, type ActionEvent } from "./event.js";
import { createActionLogger, errorCommand, tokenForms, type LineSink } from "./log.js";

/** What a step can do: deliver the run's own event, or report a finished mirror run. */
export const MODES = ["event", "report-run"] as const;
export type Mode = (typeof MODES)[number];

/** The step's surroundings; tests replace each. */
export interface StepIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Log lines and the final `::error` line (the Actions log reads stdout). */
  readonly stdout: LineSink;
  readonly now?: () => number;
  readonly Octokit?: typeof ProbotOctokit;
}

/** Exit codes of the step. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * Run the step for `argv` (`[]` or `["event"]`: the run's event; `["report-run"]`: the
 * mirror run's result). Resolves to the exit code; never throws.
 */
export async function runStep(argv: readonly string[], io: StepIo): Promise<number> {
  const mode = argv[0] ?? "event";
  const line = (text: string, secrets: readonly string[] = []) => io.stdout.write(`${redact(text, secrets)}\n`);
  if (argv.length > 1 || !(MODES as readonly string[]).includes(mode)) {
    line(errorCommand(`usage: main.js [${MODES.join("|")}]; got ${JSON.stringify(argv.join(" "))}`));
    return EXIT.usage;
  }
  let env: ActionEnv;
  try {
    env = readActionEnv(io.env);
  } catch (err) {
    // The token may be the malformed value; the message names variables only, but be sure.
    line(errorCommand((err as Error).message), io.env.GITHUB_TOKEN ? tokenForms(io.env.GITHUB_TOKEN) : []);
    return EXIT.failed;
  }
  const secrets = tokenForms(env.GITHUB_TOKEN);
  const log = createActionLogger({ level: logLevel(env), out: io.stdout, secrets });
  let event: ActionEvent | null = null;
  try {
    event = mode === "report-run" ? await currentRunCompleted(env) : await currentEvent(env);
    const probot = tokenProbot({ token: env.GITHUB_TOKEN, baseUrl: env.GITHUB_API_URL, log, ...(io.Octokit ? { Octokit: io.Octokit } : {}) });
    const id = deliveryId(env.GITHUB_RUN_ID, env.GITHUB_RUN_ATTEMPT, mode);
    log.info({ id, event: event.name, action: event.payload.action ?? null, api: env.GITHUB_API_URL }, "handling the event");
    // The same app `probot run` loads (src/index.ts is `createApp()`), the hourly limit
    // included; only the account the app writes as (github-actions[bot], not an App's bot) differs.
    await deliver(probot, createApp({ identity: actionsIdentity(), runtime: "actions", ...(io.now ? { now: io.now } : {}) }), event, id);
    log.info({ id }, "event handled");
    return EXIT.ok;
  } catch (err) {
    // Probot has logged handler errors already (they carry the event); log anything else here.
    if (!(err instanceof AggregateError && "event" in err)) log.error({ err }, "the step failed before the app could handle the event");
    const message = failureMessage(event, err);
    line(errorCommand(message), secrets);
    await writeSummary(env.GITHUB_STEP_SUMMARY, redact(summaryText(message, err), secrets), log);
    return EXIT.failed;
  }
}

/** One sentence per error, with a hint where the cause is usually the workflow's permissions. */
export function failureMessage(event: ActionEvent | null, err: unknown): string {
  const what = event ? `handling ${event.name}${typeof event.payload.action === "string" ? `.${event.payload.action}` : ""}` : "reading the event";
  return `${what} failed: ${causes(err).map(describe).join("; ")}`;
}

/** The errors behind `err`: Probot's AggregateError holds one per handler that threw. */
function causes(err: unknown): unknown[] {
  return err instanceof AggregateError ? err.errors : [err];
}

/** The step summary: what failed, and for a missing permission or setting, how to fix it and what the requester was told. */
export function summaryText(message: string, err: unknown): string {
  const problems = causes(err).filter((e): e is SetupProblem => e instanceof SetupProblem);
  const lines = ["## mirrorbot could not finish", "", message, ""];
  for (const p of problems) {
    lines.push(`**To fix:** ${p.fix}.`, "");
    if (p.done) lines.push(`**Left as it is:** ${p.done}; no mirror run was started for it.`, "");
    lines.push("The requester was told in the request's status comment, including whether `/retry` helps.", "");
  }
  return `${lines.join("\n")}\n`;
}

/** Append `text` to the step summary file, when the runner gave one; a failure to write is only logged. */
async function writeSummary(path: string | undefined, text: string, log: { warn: (o: object, m: string) => void }): Promise<void> {
  if (!path) return;
  try {
    await appendFile(path, text);
  } catch (err) {
    log.warn({ err }, "could not write the step summary");
  }
}

function describe(err: unknown): string {
  if (err instanceof SetupProblem) return `${err.message}. To fix: ${err.fix}.${err.done ? ` ${err.done}, but no mirror run was started for it.` : ""}`;
  const status = httpStatus(err);
  if (status === undefined) return err instanceof Error ? err.message : String(err);
  const hint =
    status === 403 || status === 404
      ? " (if the workflow token lacks a permission, grant it in this job's `permissions:`; see docs/actions-mode.md)"
      : "";
  return `GitHub answered ${status}: ${apiMessage(err)}${hint}`;
}
