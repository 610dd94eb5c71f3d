/**
 * Probot inside a workflow step, for Probot 14 (`@probot/adapter-github-actions` stops at
 * Probot 13). A Probot built with `githubToken` gives every handler that token's client as
 * `context.octokit` (octokit-auth-probot returns the token client for each event, with or
 * without an `installation` in the payload), so the app runs unchanged: one event in,
 * the same handlers, the same API calls as the hosted app.
 */
import { Probot, ProbotOctokit, type ApplicationFunction, type Logger } from "probot";
import type { ActionEvent } from "./event.js";

/** How to reach GitHub: the workflow token and the API base (GITHUB_API_URL, GHES included). */
export interface TokenProbotOptions {
  readonly token: string;
  readonly baseUrl: string;
  readonly log: Logger;
  /** Tests pass an Octokit with retry and throttling off. */
  readonly Octokit?: typeof ProbotOctokit;
}

/** A Probot whose every API call is authenticated with the workflow token. */
export function tokenProbot(options: TokenProbotOptions): Probot {
  return new Probot({
    githubToken: options.token,
    baseUrl: options.baseUrl,
    log: options.log,
    ...(options.Octokit ? { Octokit: options.Octokit } : {}),
  });
}

/**
 * Load `app` and deliver `event` to it as delivery `id`. Resolves when every handler has
 * finished; rejects with Probot's AggregateError when one threw (Probot logs each error).
 */
export async function deliver(probot: Probot, app: ApplicationFunction, event: ActionEvent, id: string): Promise<void> {
  await probot.load(app, {
    cwd: process.cwd(),
    addHandler: () => {
      throw new Error("a workflow step serves no HTTP routes");
    },
  });
  await probot.receive({ id, name: event.name, payload: event.payload } as Parameters<Probot["receive"]>[0]);
}

/** The delivery id of a step's event: the run, its attempt and the mode, so logs tell runs apart. */
export function deliveryId(runId: string, attempt: string, mode: string): string {
  return `actions-${runId}-${attempt}-${mode}`;
}
