/**
 * The one event a workflow step handles, read from the runner's payload file and named the
 * way the app's handlers expect. Two cases differ from a webhook delivery:
 * - `pull_request_target` carries the `pull_request` payload (it only changes where the
 *   workflow runs and which token it gets), so it is delivered as `pull_request`;
 * - `report-run` builds the `workflow_run.completed` event of the current mirror run, for the
 *   report job at the end of mirror.yml (docs/actions-mode.md explains why it is needed).
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { ActionEnv } from "./env.js";

/** An event as `probot.receive` takes it, minus the delivery id. */
export interface ActionEvent {
  readonly name: string;
  readonly payload: Record<string, unknown>;
}

/** The payload file is missing, not JSON, or not what the event needs. */
export class ActionEventError extends Error {}

/** Runner event names that carry another event's payload, and the name the app knows it by. */
const EVENT_ALIASES: Readonly<Record<string, string>> = { pull_request_target: "pull_request" };

/** The app's name for a runner event name. @example appEventName("pull_request_target") // "pull_request" */
export function appEventName(runnerName: string): string {
  return EVENT_ALIASES[runnerName] ?? runnerName;
}

/** The parsed JSON payload at `path`. */
export async function readPayload(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ActionEventError(`cannot read the event payload ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ActionEventError(`the event payload ${path} is not JSON`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new ActionEventError(`the event payload ${path} is not a JSON object`);
  return json as Record<string, unknown>;
}

/** The event that started this run, as the app should receive it. */
export async function currentEvent(env: ActionEnv): Promise<ActionEvent> {
  return { name: appEventName(env.GITHUB_EVENT_NAME), payload: await readPayload(env.GITHUB_EVENT_PATH) };
}

const dispatchPayloadSchema = z
  .object({
    inputs: z
      .object({ request: z.string().describe("the request id the app dispatched with") })
      .loose()
      .describe("the workflow_dispatch inputs"),
    repository: z
      .object({
        name: z.string().describe("repository name"),
        full_name: z.string().describe('"owner/name"'),
        default_branch: z.string().describe("default branch"),
        owner: z.object({ login: z.string().describe("owner login") }).loose().describe("repository owner"),
      })
      .loose()
      .describe("the repository, passed on as the workflow_run payload's repository"),
    sender: z.object({ login: z.string().describe("login") }).loose().describe("who dispatched the run"),
  })
  .describe("the workflow_dispatch payload of a mirror run the app dispatched");

/**
 * The `workflow_run.completed` event of the current run, for the report job that ends a
 * dispatched mirror run. It holds what the app's handler reads: the run id, its title
 * (`mirror <request>`, the workflow's run-name), its event, conclusion, link and workflow path.
 */
export async function currentRunCompleted(env: ActionEnv): Promise<ActionEvent> {
  if (env.GITHUB_EVENT_NAME !== "workflow_dispatch") {
    throw new ActionEventError(`report-run reports a dispatched mirror run, but this run was started by ${env.GITHUB_EVENT_NAME}`);
  }
  if (env.MIRRORBOT_RUN_CONCLUSION === undefined) {
    throw new ActionEventError("report-run needs MIRRORBOT_RUN_CONCLUSION (give the step `MIRRORBOT_RUN_CONCLUSION: ${{ needs.mirror.result }}`)");
  }
  const parsed = dispatchPayloadSchema.safeParse(await readPayload(env.GITHUB_EVENT_PATH));
  if (!parsed.success) throw new ActionEventError(`the workflow_dispatch payload lacks ${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}`);
  const { inputs, repository, sender } = parsed.data;
  const path = workflowPath(env.GITHUB_WORKFLOW_REF);
  const id = Number(env.GITHUB_RUN_ID);
  const run = {
    id,
    name: "mirror",
    display_title: `mirror ${inputs.request}`,
    event: "workflow_dispatch",
    status: "completed",
    conclusion: env.MIRRORBOT_RUN_CONCLUSION,
    run_attempt: Number(env.GITHUB_RUN_ATTEMPT),
    html_url: `${env.GITHUB_SERVER_URL}/${repository.full_name}/actions/runs/${id}`,
    path,
    head_branch: repository.default_branch,
  };
  return { name: "workflow_run", payload: { action: "completed", workflow_run: run, workflow: { path }, repository, sender } };
}

/**
 * The workflow file's path inside the repository, from GITHUB_WORKFLOW_REF.
 * @example workflowPath("octo/mirror/.github/workflows/mirror.yml@refs/heads/main") // ".github/workflows/mirror.yml"
 */
export function workflowPath(workflowRef: string | undefined): string {
  const match = /^[^/]+\/[^/]+\/(.+?)@/.exec(workflowRef ?? "");
  if (!match) throw new ActionEventError("GITHUB_WORKFLOW_REF does not name a workflow file; report-run must run inside the mirror workflow");
  return match[1]!;
}
