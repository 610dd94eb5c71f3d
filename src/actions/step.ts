/**
 * One workflow step of the Actions mode, start to end: validate the runner's environment,
 * read the event, hand the event to the app, and turn
 * any failure into a non-zero exit and one `::error` annotation that says what went wrong.
 */
import type { ProbotOctokit } from "probot";
import { createApp } from "../app/app.js";
import { apiMessage, httpStatus } from "../app/github/client.js";
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
    line(errorCommand(failureMessage(event, err)), secrets);
    return EXIT.failed;
  }
}

/** One sentence per error, with a hint where the cause is usually the workflow's permissions. */
export function failureMessage(event: ActionEvent | null, err: unknown): string {
  const what = event ? `handling ${event.name}${typeof event.payload.action === "string" ? `.${event.payload.action}` : ""}` : "reading the event";
  const errors = err instanceof AggregateError ? err.errors : [err];
  return `${what} failed: ${errors.map(describe).join("; ")}`;
}

function describe(err: unknown): string {
  const status = httpStatus(err);
  if (status === undefined) return err instanceof Error ? err.message : String(err);
  const hint =
    status === 403 || status === 404
      ? " (if the workflow token lacks a permission, grant it in this job's `permissions:`; see docs/actions-mode.md)"
      : "";
  return `GitHub answered ${status}: ${apiMessage(err)}${hint}`;
}
