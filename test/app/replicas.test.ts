/**
 * The hosted app keeps no request state in memory: several replicas (or a restarted process)
 * judge and handle requests from GitHub's state alone. Each replica is its own Probot with
 * its own app instance, talking to one stateful fake of the REST API.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { githubLimiter } from "../../src/app/rate-limit.js";
import type { RequestState } from "../../src/app/state.js";
import { issueComment, MAINTAINER } from "../fixtures/payloads.js";
import { FakeGitHub } from "../actions/helpers/fake-github.js";
import { CONFIG } from "./helpers/github.js";
import { testDeps, testProbot } from "./helpers/probot.js";
import { mirrorRepo } from "../actions/helpers/mirror-repo.js";

let fake: FakeGitHub | null = null;
beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  fake?.stop();
  fake = null;
  nock.cleanAll();
  nock.enableNetConnect();
});

function github(config: string = CONFIG): FakeGitHub {
  fake = mirrorRepo({ config, roles: { [MAINTAINER.login]: "maintain" }, actor: "mirrorbot[bot]" });
  return fake;
}

/** A fresh replica: a new Probot and app, nothing shared with the others but GitHub. */
async function replica() {
  return (await testProbot(testDeps({ rateLimits: githubLimiter(), now: () => Date.now() }))).probot;
}

const stateOf = (body: string) => JSON.parse(/<!-- mirrorbot:state (\{.*?\}) -->/.exec(body)![1]!) as RequestState;

describe("several replicas of the hosted app", () => {
  it("given the same delivery at the same moment, handle it once: one status comment, one commit, one dispatch", async () => {
    const gh = github();
    const payload = issueComment({ body: "/sync redis:7" });
    payload.comment.created_at = new Date().toISOString();
    const [a, b] = await Promise.all([replica(), replica()]);

    await Promise.all([a.receive({ id: "d1", name: "issue_comment", payload: payload as any }), b.receive({ id: "d1", name: "issue_comment", payload: payload as any })]);

    expect(gh.comments.map((c) => stateOf(c.body).status)).toEqual(["queued"]);
    expect(gh.commits.map((c) => c.text)).toEqual(["nginx:1.26\nredis:7\n"]);
    expect(gh.dispatches.map((d) => d.inputs.request)).toEqual(["7-5001"]);
  });

  it("share the hourly limit through GitHub: a burst spread over three replicas serves two of three with a limit of two", async () => {
    const gh = github(`${CONFIG}policy:\n  requestsPerHour: 2\n`);
    const at = new Date().toISOString();
    const payloads = [0, 1, 2].map((n) => {
      const posted = gh.addComment(7, `/sync busybox:1.${n}`, { login: MAINTAINER.login, type: "User" });
      posted.created_at = posted.updated_at = at;
      const payload = issueComment({ body: posted.body, commentId: posted.id });
      payload.comment.created_at = at;
      return payload;
    });
    const replicas = await Promise.all([replica(), replica(), replica()]);

    await Promise.all([2, 0, 1].map((n) => replicas[n]!.receive({ id: `d${n}`, name: "issue_comment", payload: payloads[n] as any })));

    const outcome = (n: number) => stateOf(gh.comments.find((c) => c.user.type === "Bot" && c.body.includes(`7-${payloads[n]!.comment.id}`))!.body);
    expect([0, 1, 2].map((n) => outcome(n).status)).toEqual(["queued", "queued", "limited"]);
    expect(gh.dispatches.map((d) => d.inputs.images).sort()).toEqual(["busybox:1.0", "busybox:1.1"]);

    // A restarted process forgets nothing: the limit is still reached.
    const late = gh.addComment(7, "/sync busybox:1.9", { login: MAINTAINER.login, type: "User" });
    const payload = issueComment({ body: late.body, commentId: late.id });
    payload.comment.created_at = late.created_at;
    await (await replica()).receive({ id: "d9", name: "issue_comment", payload: payload as any });
    expect(outcome(0).status).toBe("queued");
    expect(stateOf(gh.comments.find((c) => c.user.type === "Bot" && c.body.includes(`7-${late.id}`))!.body).status).toBe("limited");
  });
});
