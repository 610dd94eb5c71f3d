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
import { runnerPayload } from "../fixtures/actions/events.js";
import { CONFIG } from "../app/helpers/github.js";
import { FakeGitHub, type FakeOptions, type Permissions } from "./helpers/fake-github.js";
import { buildCheckout, jobPermissions, runJobStep, workflowJob, type Checkout, type StepRun } from "./helpers/job-step.js";

/** Bounded waits: a step is a Node process with Probot's throttle on (writes 1 s apart, comments 3 s). */
const STEP_TIMEOUT = { timeout: 180_000 };

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
  fake = new FakeGitHub({
    fullName: FULL_NAME,
    defaultBranch: DEFAULT_BRANCH,
    config: CONFIG,
    files: { [DEFAULT_BRANCH]: "nginx:1.26\n" },
    roles: { [MAINTAINER.login]: "maintain", [COMMUNITY.login]: "read" },
    http: true,
    tokens: options.grants,
    ...options,
  });
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
    expect(visible(reply(5))).toBe(
      `**Mirror request \`7-${comments[5]!.id}\` was not started.**\n\n` +
        "@maya, you have already made 5 mirror requests in the last hour, the most this repository allows (`policy.requestsPerHour`). Please ask again in 60 minutes.",
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
