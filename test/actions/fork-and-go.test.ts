/**
 * Fork and go, under the conditions a fork owner meets: each event is a separate process
 * running the step command of bot.yml or mirror.yml, with a token limited to that job's
 * `permissions:` (the fake GitHub refuses anything else with GitHub's own 403), several runs
 * at once, and Probot's throttling on as in production. Each case asserts what the operator
 * sees (exit code, `::error`, step summary), what the requester sees (the reply), and what is
 * left in the repository (branches, commits, images.txt).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RequestState } from "../../src/app/state.js";
import { COMMUNITY, DEFAULT_BRANCH, FULL_NAME, issueComment, MAINTAINER } from "../fixtures/payloads.js";
import { mirrorDispatchPayload, runnerPayload } from "../fixtures/actions/events.js";
import { buildResult } from "../../src/engine/result.js";
import { buildZip } from "../app/helpers/zip.js";
import { requestState, statusBody } from "../app/helpers/state.js";
import { FakeGitHub, type FakeOptions, type Permissions } from "./helpers/fake-github.js";
import { mirrorRepo } from "./helpers/mirror-repo.js";
import { buildCheckout, jobPermissions, runJobStep, workflowJob, type Checkout, type StepRun } from "./helpers/job-step.js";

/** Bounded waits: a step is a Node process with Probot's throttle on (writes 1 s apart, comments 3 s). */
const STEP_TIMEOUT = { timeout: 300_000 };

let checkout: Checkout;
let fake: FakeGitHub | null = null;

beforeAll(async () => {
  checkout = await buildCheckout();
}, 240_000);
afterAll(async () => {
  await checkout?.cleanup();
});
afterEach(() => {
  fake?.stop();
  fake = null;
});

/** A token name per job variant, so the fake knows what each may do. */
let tokens = 0;

async function github(options: Partial<FakeOptions> & { grants: Record<string, Permissions> }): Promise<{ gh: FakeGitHub; api: string }> {
  fake = mirrorRepo({ http: true, tokens: options.grants, ...options });
  return { gh: fake, api: await fake.serve() };
}

/** A token for `workflow`'s `job`, with its permissions changed by `change`. */
async function tokenFor(workflow: string, job: string, change: Record<string, "read" | "write" | null> = {}): Promise<[string, Permissions]> {
  return [`ghs_job${++tokens}_${job}`, jobPermissions(await workflowJob(workflow, job), change)];
}

/** A comment event as the runner's payload file holds it, made now. */
function commentEvent(body: string, options: { sender?: typeof MAINTAINER; issue?: number; commentId?: number; at?: string } = {}) {
  const payload = runnerPayload(issueComment({ body, ...options }));
  payload.comment.created_at = options.at ?? new Date().toISOString();
  return payload;
}

/** The `request` job's "Handle the event" step for a comment. */
function requestStep(token: string, api: string, payload: unknown, eventName = "issue_comment"): Promise<StepRun> {
  return runJobStep({ checkout, workflow: "bot.yml", job: "request", step: "Handle the event", token, apiUrl: api, eventName, payload, repository: FULL_NAME });
}

const stateOf = (body: string) => JSON.parse(/<!-- mirrorbot:state (\{.*?\}) -->/.exec(body)![1]!) as RequestState;
/** The status comment text people read (without the hidden marker and state lines). */
const visible = (body: string) => body.split("\n").slice(2).join("\n");

describe("a request in its own process, with the request job's token", () => {
  it("commits, dispatches and replies queued; the step succeeds", STEP_TIMEOUT, async () => {
    const [token, grant] = await tokenFor("bot.yml", "request");
    const { gh, api } = await github({ grants: { [token]: grant } });

    const run = await requestStep(token, api, commentEvent("/sync redis:7"));

    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.errors).toEqual([]);
    expect(gh.files.get(DEFAULT_BRANCH)).toBe("nginx:1.26\nredis:7\n");
    expect(gh.dispatches.map((d) => d.inputs.images)).toEqual(["redis:7"]);
    expect(stateOf(gh.comments[0]!.body).status).toBe("queued");
  });
});

describe("many at once", () => {
  it("a burst of six /sync comments from one person, each its own run: five served, the one GitHub numbered last refused", STEP_TIMEOUT, async () => {
    const [token, grant] = await tokenFor("bot.yml", "request");
    const { gh, api } = await github({ grants: { [token]: grant } });
    const at = new Date().toISOString();
    const comments = [0, 1, 2, 3, 4, 5].map((n) => {
      const posted = gh.addComment(7, `/sync busybox:1.${n}`, { login: MAINTAINER.login, type: "User" });
      posted.created_at = posted.updated_at = at;
      return posted;
    });

    // The runs start in no particular order.
    const runs = await Promise.all([4, 0, 5, 2, 1, 3].map((n) => requestStep(token, api, commentEvent(comments[n]!.body, { commentId: comments[n]!.id, at }))));

    expect(runs.map((r) => r.code), runs.map((r) => r.stdout + r.stderr).join("\n")).toEqual([0, 0, 0, 0, 0, 0]);
    const reply = (n: number) => gh.comments.find((c) => c.user.type === "Bot" && c.body.startsWith(`<!-- mirrorbot:request 7-${comments[n]!.id} -->`))!.body;
    expect([0, 1, 2, 3, 4, 5].map((n) => stateOf(reply(n)).status)).toEqual(["queued", "queued", "queued", "queued", "queued", "limited"]);
    // The wait counts from the first accepted request, so it depends on how long the runs took.
    expect(visible(reply(5)).replace(/in \d+ minutes/, "in N minutes")).toBe(
      `**Mirror request \`7-${comments[5]!.id}\` was not started.**\n\n` +
        "@maya, you have already made 5 mirror requests in the last hour, the most this repository allows (`policy.requestsPerHour`). Please ask again in N minutes.",
    );
    expect(gh.dispatches.map((d) => d.inputs.images).sort()).toEqual(["busybox:1.0", "busybox:1.1", "busybox:1.2", "busybox:1.3", "busybox:1.4"]);
    expect(gh.files.get(DEFAULT_BRANCH)!.split("\n").filter(Boolean).sort()).toEqual(["busybox:1.0", "busybox:1.1", "busybox:1.2", "busybox:1.3", "busybox:1.4", "nginx:1.26"]);
    expect(gh.branches()).toEqual([DEFAULT_BRANCH]);
  });

  it("ten writers at the same moment all land, every line kept, with Probot's throttling on", STEP_TIMEOUT, async () => {
    const [token, grant] = await tokenFor("bot.yml", "request");
    const people = Array.from({ length: 10 }, (_, n) => ({ login: `writer${n}`, id: 5000 + n, type: "User" as const }));
    // Each write takes GitHub a few hundred milliseconds; racing writers read stale shas meanwhile.
    const { gh, api } = await github({
      grants: { [token]: grant },
      roles: Object.fromEntries(people.map((p) => [p.login, "write"])),
      writeLatencyMs: 300,
    });
    const started = Date.now();

    const runs = await Promise.all(people.map((p, n) => requestStep(token, api, commentEvent(`/sync alpine:3.${n}`, { sender: p, issue: 20 + n, commentId: 6000 + n }))));

    const wall = Date.now() - started;
    expect(runs.map((r) => r.code), runs.map((r) => r.stdout + r.stderr).join("\n")).toEqual(Array(10).fill(0));
    const lines = people.map((_, n) => `alpine:3.${n}`);
    expect(gh.files.get(DEFAULT_BRANCH)!.split("\n").filter(Boolean).sort()).toEqual([...lines, "nginx:1.26"].sort());
    expect(gh.commits).toHaveLength(10);
    expect(gh.dispatches.map((d) => d.inputs.images).sort()).toEqual([...lines].sort());
    expect(gh.comments.filter((c) => c.user.type === "Bot").map((c) => stateOf(c.body).status)).toEqual(Array(10).fill("queued"));
    const puts = gh.calls.filter((c) => c.method === "PUT");
    // The measurement docs/actions-mode.md records (no assertion on time: the machine is shared).
    console.info(`ten writers: ${puts.length} PUTs, ${puts.filter((c) => c.status === 409).length} answered 409, ${wall} ms wall, slowest step ${Math.max(...runs.map((r) => r.ms))} ms`);
  });
});

describe("a missing permission or repository setting fails loudly and leaves nothing half-written", () => {
  it("request job without `actions: write`: the line is committed, the dispatch refused; the step fails and says both", STEP_TIMEOUT, async () => {
    const [token, grant] = await tokenFor("bot.yml", "request", { actions: null });
    const { gh, api } = await github({ grants: { [token]: grant } });

    const run = await requestStep(token, api, commentEvent("/sync redis:7"));

    expect(run.code).toBe(1);
    const sha = gh.heads.get(DEFAULT_BRANCH)!.slice(0, 7);
    expect(run.errors).toEqual([
      "::error title=mirrorbot::handling issue_comment.created failed: starting the mirror workflow failed: the workflow token of the `request` job lacks the `actions: write` permission." +
        " To fix: add `actions: write` under `permissions:` of the `request` job in `.github/workflows/bot.yml`." +
        ` \`redis:7\` was added to \`images.txt\` (commit \`${sha}\`), but no mirror run was started for it.`,
    ]);
    expect(run.summary).toContain("**To fix:** add `actions: write` under `permissions:` of the `request` job in `.github/workflows/bot.yml`.");
    expect(run.summary).toContain(`**Left as it is:** \`redis:7\` was added to \`images.txt\` (commit \`${sha}\`); no mirror run was started for it.`);
    const [status] = gh.comments;
    expect(stateOf(status!.body)).toMatchObject({ status: "failed", failed: ["redis:7"], run: null });
    expect(visible(status!.body)).toBe(
      "**Mirror request `7-5001` was recorded but not started:** starting the mirror workflow failed because the workflow token of the `request` job lacks the `actions: write` permission.\n\n" +
        `\`redis:7\` was added to \`images.txt\` (commit \`${sha}\`), but no mirror run was started (a commit by the bot starts none by itself).` +
        " A maintainer needs to add `actions: write` under `permissions:` of the `request` job in `.github/workflows/bot.yml`. After that, comment `/retry` to start the run; until then `/retry` fails the same way.",
    );
    expect(gh.labels.get(7)).toEqual(["mirror:failed"]);
    expect(gh.files.get(DEFAULT_BRANCH)).toBe("nginx:1.26\nredis:7\n");
    expect(gh.dispatches).toEqual([]);
    expect(gh.branches()).toEqual([DEFAULT_BRANCH]);
  });

  it("request job with `contents: read`: nothing is committed or started; the step fails naming `contents: write`", STEP_TIMEOUT, async () => {
    const [token, grant] = await tokenFor("bot.yml", "request", { contents: "read" });
    const { gh, api } = await github({ grants: { [token]: grant } });

    const run = await requestStep(token, api, commentEvent("/sync redis:7"));

    expect(run.code).toBe(1);
    expect(run.errors).toEqual([
      "::error title=mirrorbot::handling issue_comment.created failed: committing images.txt failed: the workflow token of the `request` job lacks the `contents: write` permission." +
        " To fix: add `contents: write` under `permissions:` of the `request` job in `.github/workflows/bot.yml`.",
    ]);
    expect(run.summary).toContain("**To fix:** add `contents: write` under `permissions:` of the `request` job in `.github/workflows/bot.yml`.");
    expect(visible(gh.comments[0]!.body)).toBe(
      "**Mirror request `7-5001` could not be started:** committing images.txt failed because the workflow token of the `request` job lacks the `contents: write` permission.\n\n" +
        "Nothing was committed and nothing was started. A maintainer needs to add `contents: write` under `permissions:` of the `request` job in `.github/workflows/bot.yml`. After that, comment `/retry` to try again; until then `/retry` fails the same way.",
    );
    expect(gh.labels.get(7)).toEqual(["mirror:failed"]);
    expect(gh.files.get(DEFAULT_BRANCH)).toBe("nginx:1.26\n");
    expect(gh.commits).toEqual([]);
    expect(gh.dispatches).toEqual([]);
  });

  it("report job without `actions: read`: a run that succeeded is not called failed; the report says it could not read the result", STEP_TIMEOUT, async () => {
    const [token, grant] = await tokenFor("mirror.yml", "report", { actions: null });
    const { gh, api } = await github({ grants: { [token]: grant } });
    const runId = 4242;
    gh.addComment(7, statusBody(requestState({ images: ["redis:7"], run: { id: runId, url: `https://github.com/${FULL_NAME}/actions/runs/${runId}` } })), { login: "github-actions[bot]", type: "Bot" }, 5);
    gh.labels.set(7, ["mirror:queued"]);
    const result = buildResult([], { request: "7-5001", startedAt: new Date(0), finishedAt: new Date(1000) });
    gh.artifacts.set(runId, buildZip({ "result.json": JSON.stringify(result) }));

    const run = await runJobStep({
      checkout,
      workflow: "mirror.yml",
      job: "report",
      step: "Report the result on the request",
      token,
      apiUrl: api,
      eventName: "workflow_dispatch",
      payload: mirrorDispatchPayload({ request: "7-5001", images: "redis:7" }),
      // A run in one job: the merge job was skipped, so the report takes the mirror job's result.
      expressions: { "needs.merge.result == 'skipped' && needs.mirror.result || needs.merge.result": "success" },
      runId,
      workflowRef: `${FULL_NAME}/.github/workflows/mirror.yml@refs/heads/${DEFAULT_BRANCH}`,
      repository: FULL_NAME,
    });

    expect(run.code).toBe(1);
    expect(run.errors).toEqual([
      "::error title=mirrorbot::handling workflow_run.completed failed: reading the run's result failed: the workflow token of the `report` job lacks the `actions: read` permission." +
        " To fix: add `actions: read` under `permissions:` of the `report` job in `.github/workflows/mirror.yml`.",
    ]);
    expect(run.summary).toContain("**To fix:** add `actions: read` under `permissions:` of the `report` job in `.github/workflows/mirror.yml`.");
    const [status] = gh.comments;
    expect(stateOf(status!.body)).toMatchObject({ status: "queued", run: { id: runId } });
    expect(visible(status!.body)).toBe(
      `**Mirror request \`7-5001\` finished, but its result could not be read.** Run: https://github.com/${FULL_NAME}/actions/runs/${runId}\n\n` +
        "The run ended with `success`, so the images were most likely mirrored; reading the run's result failed because the workflow token of the `report` job lacks the `actions: read` permission." +
        " A maintainer needs to add `actions: read` under `permissions:` of the `report` job in `.github/workflows/mirror.yml`, then re-run the run's `report` job to report the result here. `/retry` is not needed and would not help until then.",
    );
    expect(gh.labels.get(7)).toEqual(["mirror:queued"]);
    expect(gh.closed.size).toBe(0);
  });

  it('"Allow GitHub Actions to create and approve pull requests" off: no branch is left, the requester is told, the step fails naming the setting', STEP_TIMEOUT, async () => {
    const [token, grant] = await tokenFor("bot.yml", "request");
    const { gh, api } = await github({ grants: { [token]: grant }, actionsMayOpenPullRequests: false });

    const run = await requestStep(token, api, commentEvent("/sync redis:7", { sender: COMMUNITY }));

    expect(run.code).toBe(1);
    const setting = 'turn on Settings → Actions → General → Workflow permissions → "Allow GitHub Actions to create and approve pull requests" (for a repository in an organization, the organization must allow it first)';
    expect(run.errors).toEqual([
      "::error title=mirrorbot::handling issue_comment.created failed: opening the pull request failed: the repository does not allow GitHub Actions to create pull requests" +
        ` (setting "Allow GitHub Actions to create and approve pull requests" is off). To fix: ${setting}.`,
    ]);
    expect(run.summary).toContain(`**To fix:** ${setting}.`);
    const [status] = gh.comments;
    expect(stateOf(status!.body)).toMatchObject({ status: "failed", failed: ["redis:7"], pr: null });
    expect(visible(status!.body)).toBe(
      "**Mirror request `7-5001` could not be proposed for approval:** opening the pull request failed because the repository does not allow GitHub Actions to create pull requests" +
        " (setting `Allow GitHub Actions to create and approve pull requests` is off).\n\n" +
        "Nothing was left behind: the pull request's branch was deleted. A maintainer needs to turn on Settings → Actions → General → Workflow permissions → `Allow GitHub Actions to create and approve pull requests`" +
        " (for a repository in an organization, the organization must allow it first). After that, comment `/retry` to propose the images again; until then `/retry` fails the same way.",
    );
    expect(gh.labels.get(7)).toEqual(["mirror:failed"]);
    expect(gh.branches()).toEqual([DEFAULT_BRANCH]);
    expect(gh.pulls).toEqual([]);
    expect(gh.files.get(DEFAULT_BRANCH)).toBe("nginx:1.26\n");
    expect(gh.dispatches).toEqual([]);
  });
});
