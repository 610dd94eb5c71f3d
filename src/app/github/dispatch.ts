/**
 * Start the mirror workflow for one request, exactly once, and learn which run it became.
 *
 * github.com answers `return_run_details: true` with 200 and the run; GHES rejects the key
 * with 422 and older servers answer 204. Then the run is found by its title, which the
 * workflow sets to `mirror <request>` (`run-name`). A dispatch is never repeated once the
 * server may have accepted it: only a 4xx that rejected the key leads to a second POST, and
 * after a 5xx or a dropped connection the run is looked for before the dispatch counts as failed.
 */
import { z } from "zod";
import { httpStatus, NO_RETRY, type Octokit, type Repo } from "./client.js";

/** The `workflow_dispatch` inputs of the workflow contract (docs/architecture.md). */
export interface DispatchInputs {
  /** Newline-separated lines in images.txt syntax, re-serialized from parsed entries. */
  readonly images: string;
  /** Request id, `<issue>-<id>`. */
  readonly request: string;
  readonly force: boolean;
}

/** A workflow run the app can link to. */
export interface RunLink {
  readonly id: number;
  readonly url: string;
}

/** How to look for the run when the server did not say which it is. */
export interface RunSearch {
  /** Listings to try before giving up (the run is created asynchronously). */
  readonly attempts: number;
  /** Pause before each listing. */
  readonly intervalMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

const runDetailsSchema = z
  .object({
    workflow_run_id: z.number().int().positive().describe("id of the run the dispatch created"),
    run_url: z.string().describe("API URL of the run"),
    html_url: z.string().describe("web URL of the run"),
  })
  .describe("200 answer to a dispatch with return_run_details");

const runListSchema = z
  .object({
    workflow_runs: z
      .array(
        z.object({
          id: z.number().int().positive().describe("run id"),
          display_title: z.string().describe("the evaluated run-name"),
          html_url: z.string().describe("web URL of the run"),
        }),
      )
      .describe("runs, newest first"),
  })
  .describe("answer to listing a workflow's runs");

/** The run title the workflow contract gives a request's run. */
export function runTitle(request: string): string {
  return `mirror ${request}`;
}

/**
 * Dispatch `workflow` on `ref` with the inputs; the run, or null when it could not be found
 * in time (the result still arrives through `workflow_run`, matched by its title).
 * `onAccepted` runs as soon as the server accepted a dispatch that named no run, before the
 * search, so the caller can record that the dispatch happened.
 */
export async function dispatchWorkflow(
  octokit: Octokit,
  repo: Repo,
  options: { workflow: string; ref: string; inputs: DispatchInputs; search: RunSearch; onAccepted?: () => Promise<void> },
): Promise<RunLink | null> {
  const { workflow, ref, inputs, search, onAccepted } = options;
  const params = {
    ...repo,
    workflow_id: workflow,
    ref,
    inputs: { images: inputs.images, request: inputs.request, force: inputs.force ? "true" : "false" },
    request: NO_RETRY,
  };
  const route = "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches";
  let answer: { status: number; data: unknown };
  try {
    answer = await octokit.request(route, { ...params, return_run_details: true });
  } catch (err) {
    const status = httpStatus(err);
    if (status === undefined || status >= 500) {
      // The server may have created the run before failing to answer: look for it before
      // calling the request not started (a /retry would then mirror everything twice).
      const run = await findRun(octokit, repo, workflow, ref, inputs.request, search).catch(() => null);
      if (run === null) throw err;
      await onAccepted?.();
      return run;
    }
    // A 400/422 is a validation failure: nothing was created, so one plain dispatch is safe.
    if (status !== 422 && status !== 400) throw err;
    await octokit.request(route, params);
    await onAccepted?.();
    return findRun(octokit, repo, workflow, ref, inputs.request, search);
  }
  const details = answer.status === 200 ? runDetailsSchema.safeParse(answer.data) : null;
  if (details?.success) return { id: details.data.workflow_run_id, url: details.data.html_url };
  await onAccepted?.();
  return findRun(octokit, repo, workflow, ref, inputs.request, search);
}

const runStatusSchema = z
  .object({ status: z.string().nullable().describe('"queued", "in_progress", "completed", ...') })
  .describe("answer to GET a workflow run");

/** True when run `runId` has finished, or no longer exists (it cannot report any more either way). */
export async function runHasEnded(octokit: Octokit, repo: Repo, runId: number): Promise<boolean> {
  try {
    const { data } = await octokit.rest.actions.getWorkflowRun({ ...repo, run_id: runId });
    return runStatusSchema.parse(data).status === "completed";
  } catch (err) {
    if (httpStatus(err) === 404) return true;
    throw err;
  }
}

/** Poll the workflow's dispatched runs on `ref` for the one titled `mirror <request>`. */
export async function findRun(
  octokit: Octokit,
  repo: Repo,
  workflow: string,
  ref: string,
  request: string,
  search: RunSearch,
): Promise<RunLink | null> {
  const title = runTitle(request);
  for (let attempt = 0; attempt < search.attempts; attempt++) {
    await search.sleep(search.intervalMs);
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs", {
      ...repo,
      workflow_id: workflow,
      event: "workflow_dispatch",
      branch: ref,
      per_page: 30,
    });
    const run = runListSchema.parse(data).workflow_runs.find((r) => r.display_title === title);
    if (run) return { id: run.id, url: run.html_url };
  }
  return null;
}
