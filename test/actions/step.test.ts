/**
 * The Actions mode end to end: the step is given what the runner gives it (GITHUB_EVENT_NAME,
 * GITHUB_EVENT_PATH, GITHUB_TOKEN, GITHUB_API_URL, ...) and talks to a stateful fake of the
 * REST API behind nock. No other network is reachable.
 */
import nock from "nock";
import { ProbotOctokit } from "probot";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { renderStatus } from "../../src/app/render.js";
import type { RequestState } from "../../src/app/state.js";
import { runStep } from "../../src/actions/step.js";
import { buildResult, type TaskResult } from "../../src/engine/result.js";
import { ACTIONS_BOT, eventDir, mirrorDispatchPayload, runnerEnv, runnerPayload } from "../fixtures/actions/events.js";
import { COMMUNITY, DEFAULT_BRANCH, FULL_NAME, issueComment, issueEvent, MAINTAINER, pullRequestEvent } from "../fixtures/payloads.js";
import { testDeps, testProbot } from "../app/helpers/probot.js";
import { githubLimiter } from "../../src/app/rate-limit.js";
import { requestState, statusBody } from "../app/helpers/state.js";
import { buildZip } from "../app/helpers/zip.js";
import { FakeGitHub, type Call } from "./helpers/fake-github.js";
import { mirrorRepo } from "./helpers/mirror-repo.js";

/** Shaped like a real installation token, so a leak would be unmistakable. */
const TOKEN = "ghs_Zq8TkL2mVx7Rb4Nc9Wd1Fh6Yj3Pa5Se0UuQ";
const TOKEN_B64 = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");
const Octokit = ProbotOctokit.defaults((o: Record<string, unknown>) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } }));
const R = `/repos/${FULL_NAME}`;

let files: Awaited<ReturnType<typeof eventDir>>;
let fake: FakeGitHub | null = null;

beforeAll(async () => {
  files = await eventDir();
});
afterAll(async () => {
  await files.cleanup();
});
beforeEach(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  fake?.stop();
  fake = null;
  nock.cleanAll();
  nock.enableNetConnect();
});

function github(options: Partial<ConstructorParameters<typeof FakeGitHub>[0]> = {}): FakeGitHub {
  fake = mirrorRepo(options);
  return fake;
}

/** Run the step as the runner would, for `payload` under `eventName`; stdout is captured. */
async function step(
  eventName: string,
  payload: Record<string, any>,
  options: { argv?: string[]; apiUrl?: string; runId?: number; workflowRef?: string; extra?: Record<string, string> } = {},
): Promise<{ code: number; out: string }> {
  // GitHub's order of requests comes from the payload: the event happened now, unless the test says when.
  const at = new Date().toISOString();
  if (payload.comment && !payload.comment.keepTime) payload.comment.created_at = at;
  if (eventName === "issues" && payload.issue && !payload.issue.keepTime) payload.issue.created_at = payload.issue.updated_at = at;
  const eventPath = await files.write(eventName, payload);
  const env = runnerEnv({ token: TOKEN, eventName, eventPath, ...options });
  let out = "";
  const code = await runStep(options.argv ?? [], { env, stdout: { write: (s: string) => (out += s) }, Octokit });
  return { code, out };
}

// The hourly limit's own reads in Actions mode: recent comments and the requester's mirror issues.
const isRateLimitListing = (c: Call) => c.method === "GET" && (c.path.startsWith(`${R}/issues/comments?`) || c.path.startsWith(`${R}/issues?`));
const isTokenExchange = (c: Call) => c.path.startsWith("/app/installations/");
const stateOf = (body: string) => JSON.parse(/<!-- mirrorbot:state (\{.*?\}) -->/.exec(body)![1]!) as RequestState;

describe("a /sync comment in Actions mode", () => {
  const SYNC = "/sync redis:7 nginx:1.26";

  it("makes exactly the calls the hosted app makes, each with the workflow token", async () => {
    // Hosted: helper-4's Probot with an App installation, fed the webhook payload.
    const hosted = github();
    const { probot } = await testProbot(testDeps({ rateLimits: githubLimiter() }));
    const payload = issueComment({ body: SYNC });
    payload.comment.created_at = new Date().toISOString();
    await probot.receive({ id: "d1", name: "issue_comment", payload: payload as any });
    // Only the hosted app asks who it is (GET /app); Actions mode knows it writes as github-actions[bot].
    const expected = hosted.calls.filter((c) => !isTokenExchange(c) && c.path !== "/app").map(({ method, path, body }) => ({ method, path, body }));
    hosted.stop();

    const actions = github();
    const { code, out } = await step("issue_comment", runnerPayload(issueComment({ body: SYNC })));

    expect(code, out).toBe(0);
    const listed = (c: { path: string }) => c.path.replace(/since=[^&]+/, "since=…");
    expect(actions.calls.map(({ method, path, body }) => ({ method, path: listed({ path }), body }))).toEqual(expected.map((c) => ({ ...c, path: listed(c) })));
    expect(expected.filter(isRateLimitListing as (c: { method: string; path: string }) => boolean)).toHaveLength(2);
    expect(expected.length).toBeGreaterThan(5);
    expect(new Set(actions.calls.map((c) => c.authorization))).toEqual(new Set([`token ${TOKEN}`]));
    // What the user sees: the line committed, the run dispatched, the queued reply.
    expect(actions.files.get(DEFAULT_BRANCH)).toBe("nginx:1.26\nredis:7\n");
    expect(actions.commits[0]!.message).toContain("\nMirrorbot-Request: 7-5001");
    expect(actions.dispatches).toEqual([{ ref: DEFAULT_BRANCH, inputs: { images: "redis:7\nnginx:1.26", request: "7-5001", force: "false" }, runId: 4242 }]);
    const [status] = actions.comments;
    expect(status!.user).toEqual({ login: "github-actions[bot]", type: "Bot" });
    expect(status!.body).toContain("**Mirror request `7-5001` is queued.** Run: https://github.com/Codertocat/Hello-World/actions/runs/4242");
    expect(actions.labels.get(7)).toEqual(["mirror:queued"]);
  });

  it("reports the result when the dispatched mirror run ends: the event sequence of a real request", async () => {
    const gh = github();
    // (1) The comment: commit, dispatch, queued reply.
    expect((await step("issue_comment", runnerPayload(issueComment({ body: SYNC })))).code).toBe(0);
    const [dispatch] = gh.dispatches;
    expect(dispatch).toBeDefined();
    // The mirror run uploads its result...
    const task = (source: string, target: string): TaskResult => ({
      line: null,
      source,
      target,
      targetName: "acr",
      platform: null,
      status: "copied",
      sourceDigest: `sha256:${"ab".repeat(32)}`,
      targetDigest: `sha256:${"ab".repeat(32)}`,
      size: 1_000_000,
      bytes: 1_000_000,
      durationMs: 900,
      error: null,
    });
    const result = buildResult(
      [
        task("docker.io/library/redis:7", "registry.cn-hangzhou.aliyuncs.com/mirror/redis:7"),
        task("docker.io/library/nginx:1.26", "registry.cn-hangzhou.aliyuncs.com/mirror/nginx:1.26"),
      ],
      { request: "7-5001", startedAt: new Date(0), finishedAt: new Date(1000) },
    );
    gh.artifacts.set(dispatch!.runId, buildZip({ "result.json": JSON.stringify(result) }));
    const before = gh.calls.length;

    // (2) ...and its report job runs the adapter on the workflow_dispatch event it was started by.
    const { code, out } = await step("workflow_dispatch", mirrorDispatchPayload({ request: dispatch!.inputs.request!, images: dispatch!.inputs.images! }), {
      argv: ["report-run"],
      runId: dispatch!.runId,
      workflowRef: `${FULL_NAME}/.github/workflows/mirror.yml@refs/heads/${DEFAULT_BRANCH}`,
      extra: { MIRRORBOT_RUN_CONCLUSION: "success" },
    });

    expect(code, out).toBe(0);
    expect(gh.comments).toHaveLength(1);
    const final = gh.comments[0]!.body;
    expect(stateOf(final)).toMatchObject({ request: "7-5001", status: "done", run: { id: 4242 }, failed: [] });
    expect(final).toContain("**Mirror request `7-5001` is done:** 2 copied, 0 already up to date, 0 failed.");
    expect(final).toContain("| `redis:7` | `registry.cn-hangzhou.aliyuncs.com/mirror/redis:7` | copied |");
    expect(gh.labels.get(7)).toEqual(["mirror:done"]);
    expect(gh.closed).toEqual(new Set([7]));
    expect(gh.calls.slice(before).map((c) => `${c.method} ${c.path.split("?")[0]}`)).toEqual([
      `GET ${R}/contents/.github/mirrorbot.yml`,
      `GET ${R}/issues/7/comments`,
      `GET ${R}/actions/runs/4242/artifacts`,
      `GET ${R}/actions/artifacts/4242/zip`,
      `GET ${R}/issues/7`,
      `PATCH ${R}/issues/comments/9000`,
      `DELETE ${R}/issues/7/labels/mirror:queued`,
      `POST ${R}/issues/7/labels`,
      `PATCH ${R}/issues/7`,
    ]);
  });

  it("reports a cancelled run without a result as failed", async () => {
    const gh = github();
    expect((await step("issue_comment", runnerPayload(issueComment({ body: SYNC })))).code).toBe(0);
    const { code } = await step("workflow_dispatch", mirrorDispatchPayload({ request: "7-5001", images: "redis:7" }), {
      argv: ["report-run"],
      runId: 4242,
      workflowRef: `${FULL_NAME}/.github/workflows/mirror.yml@refs/heads/${DEFAULT_BRANCH}`,
      extra: { MIRRORBOT_RUN_CONCLUSION: "cancelled" },
    });
    expect(code).toBe(0);
    expect(stateOf(gh.comments[0]!.body)).toMatchObject({ status: "failed", failed: ["redis:7", "nginx:1.26"] });
    expect(gh.labels.get(7)).toEqual(["mirror:failed"]);
    expect(gh.closed.size).toBe(0);
  });

  it("talks to GITHUB_API_URL, so it works on GitHub Enterprise Server", async () => {
    const gh = github({ base: "https://ghes.example.com/api/v3" });
    const { code, out } = await step("issue_comment", runnerPayload(issueComment({ body: SYNC })), { apiUrl: "https://ghes.example.com/api/v3" });
    expect(code, out).toBe(0);
    expect(gh.dispatches).toHaveLength(1);
    expect(gh.calls.every((c) => c.authorization === `token ${TOKEN}`)).toBe(true);
  });
});

describe("the workflow token", () => {
  it("never reaches the log, even when the API echoes it back, and a failure exits 1 with a clear message", async () => {
    github({ failures: { [`GET ${R}/contents/.github/mirrorbot.yml`]: [403, { message: `Resource not accessible by integration (token ${TOKEN})` }] } });
    const { code, out } = await step("issue_comment", runnerPayload(issueComment({ body: "/sync redis:7" })));

    expect(code).toBe(1);
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain(TOKEN_B64);
    expect(out).toContain("(token ***)");
    const lines = out.trimEnd().split("\n");
    expect(lines.at(-1)).toBe(
      "::error title=mirrorbot::handling issue_comment.created failed: GitHub answered 403: Resource not accessible by integration (token ***)" +
        " (if the workflow token lacks a permission, grant it in this job's `permissions:`; see docs/actions-mode.md)",
    );
    // Everything before it is structured: one JSON object per line, none a workflow command.
    for (const line of lines.slice(0, -1)) expect(() => JSON.parse(line), line).not.toThrow();
    expect(lines.slice(0, -1).map((l) => JSON.parse(l).msg)).toContain("handling the event");
  });

  it("is reported missing by name, with the line to add, and nothing is called", async () => {
    const gh = github();
    const eventPath = await files.write("issue_comment", runnerPayload(issueComment({ body: "/sync redis:7" })));
    const env = runnerEnv({ token: "", eventName: "issue_comment", eventPath });
    let out = "";
    const code = await runStep([], { env, stdout: { write: (s: string) => (out += s) }, Octokit });
    expect(code).toBe(1);
    expect(out).toBe(
      "::error title=mirrorbot::the Actions environment is incomplete: GITHUB_TOKEN is not set (give the step `env: GITHUB_TOKEN: ${{ github.token }}`)\n",
    );
    expect(gh.calls).toEqual([]);
  });
});

describe("pull requests", () => {
  const HEAD = "a".repeat(40);
  const BASE = "b".repeat(40);

  it("pull_request_target from a fork is handled as pull_request: the file is read through the API as data and checked", async () => {
    const gh = github({ files: { [DEFAULT_BRANCH]: "nginx:1.26\n", [BASE]: "nginx:1.26\n", [HEAD]: "nginx:1.26\nredis:7 --arch=arm64\n" } });
    gh.pullFiles.set(20, ["images.txt"]);
    const payload = runnerPayload(pullRequestEvent({ action: "opened", number: 20, headSha: HEAD, baseSha: BASE, author: COMMUNITY }));
    payload.pull_request.head.repo = { ...payload.pull_request.head.repo, full_name: "carl/Hello-World", fork: true };

    const { code, out } = await step("pull_request_target", payload);

    expect(code, out).toBe(0);
    expect(gh.trace()).toEqual([
      `GET ${R}/contents/.github/mirrorbot.yml`,
      `GET ${R}/pulls/20/files?per_page=100`,
      `GET ${R}/contents/images.txt?ref=${HEAD}`,
      `GET ${R}/contents/images.txt?ref=${BASE}`,
      `POST ${R}/check-runs`,
    ]);
    expect(gh.checkRuns[0]).toMatchObject({ head_sha: HEAD, conclusion: "failure" });
    expect(gh.checkRuns[0].output.annotations[0]).toMatchObject({ start_line: 2, message: 'unknown flag "--arch"; only --platform is supported' });
  });
});

describe("concurrency", () => {
  const form = (image: string) => `### Images\n\n\`\`\`text\n${image}\n\`\`\`\n\n### Platform\n\n_No response_\n`;

  it("two issues opened at the same moment are both served and images.txt keeps both lines", async () => {
    // Both steps read images.txt before either writes: the second write meets a stale sha.
    const gh = github({ racePuts: 2, roles: { [MAINTAINER.login]: "maintain", dora: "write" } });
    const dora = { login: "dora", id: 4004, type: "User" as const };
    const [a, b] = await Promise.all([
      step("issues", runnerPayload(issueEvent({ action: "opened", issue: 8, body: form("redis:7"), sender: MAINTAINER }))),
      step("issues", runnerPayload(issueEvent({ action: "opened", issue: 9, body: form("alpine:3.20"), sender: dora }))),
    ]);

    expect([a.code, b.code], a.out + b.out).toEqual([0, 0]);
    expect(gh.calls.filter((c) => c.method === "PUT").map((c) => c.status)).toEqual([201, 409, 201]);
    expect(gh.files.get(DEFAULT_BRANCH)!.split("\n").sort()).toEqual(["", "alpine:3.20", "nginx:1.26", "redis:7"]);
    expect(gh.dispatches.map((d) => d.inputs.images).sort()).toEqual(["alpine:3.20", "redis:7"]);
    expect(gh.comments.map((c) => [c.issue, stateOf(c.body).status]).sort()).toEqual([
      [8, "queued"],
      [9, "queued"],
    ]);
  });
});

describe("the hourly limit across runs", () => {
  const past = (n: number, status: RequestState["status"] = "queued"): string =>
    renderStatus(
      {
        version: 1,
        request: `${30 + n}-${100 + n}`,
        issue: 30 + n,
        kind: "issue",
        status,
        requester: { login: MAINTAINER.login, id: MAINTAINER.id },
        images: ["busybox:1"],
        force: false,
        pr: null,
        commit: null,
        run: null,
        failed: [],
      },
      { kind: "queued", rows: [] },
    );

  it("counts the sender's requests of the last hour from the bot's status comments", async () => {
    const gh = github();
    for (let n = 0; n < 5; n++) gh.addComment(30 + n, past(n), ACTIONS_BOT, 10 + n);

    const { code, out } = await step("issue_comment", runnerPayload(issueComment({ body: "/sync redis:7" })));

    expect(code, out).toBe(0);
    expect(gh.dispatches).toEqual([]);
    expect(gh.commits).toEqual([]);
    const reply = gh.comments.find((c) => c.issue === 7)!;
    expect(stateOf(reply.body)).toMatchObject({ request: "7-5001", status: "limited" });
  });

  it("does not count requests older than an hour, refused ones, or markers pasted by people", async () => {
    const gh = github();
    for (let n = 0; n < 2; n++) gh.addComment(30 + n, past(n), ACTIONS_BOT, 61 + n);
    gh.addComment(40, past(10, "limited"), ACTIONS_BOT, 5);
    gh.addComment(41, past(11, "limited"), ACTIONS_BOT, 6);
    for (let n = 0; n < 3; n++) gh.addComment(50 + n, past(20 + n), { login: MAINTAINER.login, type: "User" }, 1);
    for (let n = 0; n < 4; n++) gh.addComment(60 + n, past(30 + n), ACTIONS_BOT, 20 + n);

    const { code, out } = await step("issue_comment", runnerPayload(issueComment({ body: "/sync redis:7" })));

    expect(code, out).toBe(0);
    expect(gh.dispatches).toHaveLength(1);
  });

  it("counts the sender's own /sync comments not answered yet, so a burst of comments cannot pass the limit", async () => {
    const gh = github();
    // Five runs started together, seconds before this one: none has written its status comment yet.
    for (let n = 0; n < 5; n++) gh.addComment(30 + n, `/sync busybox:1.${n}`, { login: MAINTAINER.login, type: "User" }, (n + 1) / 60);
    gh.addComment(40, "/sync busybox:2", { login: "someone-else", type: "User" }, 1);

    const { code, out } = await step("issue_comment", runnerPayload(issueComment({ body: "/sync redis:7" })));

    expect(code, out).toBe(0);
    expect(gh.dispatches).toEqual([]);
    expect(stateOf(gh.comments.find((c) => c.issue === 7)!.body)).toMatchObject({ request: "7-5001", status: "limited" });
  });

  it("counts the author's mirror issues opened just before, so a burst of issues cannot pass the limit either", async () => {
    const gh = github();
    for (let n = 0; n < 5; n++) gh.addIssue(30 + n, COMMUNITY.login, (n + 1) / 60);
    gh.addIssue(40, "someone-else", 1);
    const form = "### Images\n\n```text\nredis:7\n```\n\n### Platform\n\n_No response_\n";
    const payload = runnerPayload(issueEvent({ action: "opened", body: form, sender: COMMUNITY }));
    payload.issue.user = { ...payload.issue.user, login: COMMUNITY.login, id: COMMUNITY.id, type: "User" };
    gh.addIssue(payload.issue.number, COMMUNITY.login, 0); // the issue being handled is not counted

    const { code, out } = await step("issues", payload);

    expect(code, out).toBe(0);
    expect(gh.dispatches).toEqual([]);
    expect(stateOf(gh.comments.find((c) => c.issue === payload.issue.number)!.body)).toMatchObject({ status: "limited", requester: { login: COMMUNITY.login } });
  });

  it("a burst of six /sync comments from one person, handled at once: five are served, and the one GitHub numbered last is refused", async () => {
    const gh = github();
    const at = new Date().toISOString();
    const burst = [0, 1, 2, 3, 4, 5].map((n) => {
      const posted = gh.addComment(7, `/sync busybox:1.${n}`, { login: MAINTAINER.login, type: "User" });
      posted.created_at = posted.updated_at = at;
      const payload = runnerPayload(issueComment({ body: posted.body, commentId: posted.id }));
      payload.comment.created_at = at;
      payload.comment.keepTime = true;
      return payload;
    });

    // The runs start in any order; GitHub's numbering decides.
    const results = await Promise.all([3, 5, 0, 4, 1, 2].map((n) => step("issue_comment", burst[n]!)));

    expect(results.map((r) => r.code), results.map((r) => r.out).join("")).toEqual([0, 0, 0, 0, 0, 0]);
    const outcome = (n: number) => stateOf(gh.comments.find((c) => c.user.type === "Bot" && c.body.includes(`7-${burst[n]!.comment.id}`))!.body).status;
    expect([0, 1, 2, 3, 4, 5].map(outcome)).toEqual(["queued", "queued", "queued", "queued", "queued", "limited"]);
    expect(gh.dispatches.map((d) => d.inputs.images).sort()).toEqual(["busybox:1.0", "busybox:1.1", "busybox:1.2", "busybox:1.3", "busybox:1.4"]);
  });

  it("counts only github-actions[bot] comments that start with the marker, not other bots' or quoted state", async () => {
    const gh = github();
    for (let n = 0; n < 5; n++) gh.addComment(30 + n, past(n), { login: "other-bot[bot]", type: "Bot" }, 10 + n);
    for (let n = 0; n < 5; n++) gh.addComment(40 + n, `Echoing the request:\n${past(10 + n)}`, ACTIONS_BOT, 10 + n);

    const { code, out } = await step("issue_comment", runnerPayload(issueComment({ body: "/sync redis:7" })));

    expect(code, out).toBe(0);
    expect(gh.dispatches).toHaveLength(1);
  });
});

describe("an issue form edited by someone else", () => {
  const form = "### Images\n\n```text\nredis:7\n```\n\n### Platform\n\n_No response_\n";

  it("stays the author's request: their hourly limit applies, not the editor's", async () => {
    const gh = github();
    const past = (n: number) => statusBody(requestState({ request: `${30 + n}-${100 + n}`, issue: 30 + n, requester: { login: COMMUNITY.login, id: COMMUNITY.id } }));
    for (let n = 0; n < 5; n++) gh.addComment(30 + n, past(n), ACTIONS_BOT, 10 + n);
    const payload = runnerPayload(issueEvent({ action: "edited", body: form, sender: MAINTAINER }));
    payload.issue.user = { ...payload.issue.user, login: COMMUNITY.login, id: COMMUNITY.id, type: "User" };

    const { code, out } = await step("issues", payload);

    expect(code, out).toBe(0);
    expect(gh.commits).toEqual([]);
    expect(gh.dispatches).toEqual([]);
    expect(stateOf(gh.comments.find((c) => c.issue === 8)!.body)).toMatchObject({ status: "limited", requester: { login: "carl" } });
  });
});

describe("request state in Actions mode", () => {
  it("trusts only github-actions[bot]'s status comments: another app's bot cannot mark a request handled", async () => {
    const gh = github();
    gh.addComment(7, statusBody(requestState({ images: ["redis:7"], run: { id: 1, url: "u" } })), { login: "mirrorbot[bot]", type: "Bot" }, 1);

    const { code, out } = await step("issue_comment", runnerPayload(issueComment({ body: "/sync redis:7" })));

    expect(code, out).toBe(0);
    expect(gh.dispatches).toHaveLength(1);
  });

  it("a re-run of the job after it stopped between the commit and the dispatch dispatches once, without committing again", async () => {
    const gh = github({ files: { [DEFAULT_BRANCH]: "nginx:1.26\nredis:7\n" } });
    const left = gh.addComment(7, statusBody(requestState({ status: "received", images: ["redis:7", "nginx:1.26"] })), ACTIONS_BOT, 2);

    const rerun = () => step("issue_comment", runnerPayload(issueComment({ body: "/sync redis:7 nginx:1.26" })));
    expect((await rerun()).code).toBe(0);
    expect((await rerun()).code).toBe(0);

    expect(gh.commits).toEqual([]);
    expect(gh.dispatches.map((d) => d.inputs)).toEqual([{ images: "redis:7\nnginx:1.26", request: "7-5001", force: "false" }]);
    expect(gh.comments).toHaveLength(1);
    expect(stateOf(left.body)).toMatchObject({ status: "queued", run: { id: 4242 } });
  });
});

describe("events that make no request", () => {
  it("a comment without a command costs no API call and succeeds", async () => {
    const gh = github();
    const { code } = await step("issue_comment", runnerPayload(issueComment({ body: "thanks, looks good" })));
    expect(code).toBe(0);
    expect(gh.calls).toEqual([]);
  });
});

describe("usage", () => {
  it("refuses an unknown mode with exit code 2", async () => {
    const { code, out } = await step("issue_comment", runnerPayload(issueComment({ body: "/sync redis:7" })), { argv: ["serve"] });
    expect(code).toBe(2);
    expect(out).toBe('::error title=mirrorbot::usage: main.js [event|report-run]; got "serve"\n');
  });

  it("report-run outside a dispatched run says so", async () => {
    github();
    const { code, out } = await step("push", { ref: "refs/heads/master" }, { argv: ["report-run"], extra: { MIRRORBOT_RUN_CONCLUSION: "success" } });
    expect(code).toBe(1);
    expect(out.trimEnd().split("\n").at(-1)).toBe(
      "::error title=mirrorbot::reading the event failed: report-run reports a dispatched mirror run, but this run was started by push",
    );
  });

  it("a missing event file is named", async () => {
    github();
    const env = runnerEnv({ token: TOKEN, eventName: "issues", eventPath: `${files.dir}/missing.json` });
    let out = "";
    const code = await runStep([], { env, stdout: { write: (s: string) => (out += s) }, Octokit });
    expect(code).toBe(1);
    expect(out.trimEnd().split("\n").at(-1)).toBe(`::error title=mirrorbot::reading the event failed: cannot read the event payload ${files.dir}/missing.json: ENOENT`);
  });
});
