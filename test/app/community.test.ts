/**
 * A request from someone without the sync permission: the issue form opens a bot pull
 * request; a maintainer then approves with `/approve` or merges the pull request.
 */
import { describe, expect, it } from "vitest";
import { COMMUNITY, BOT, issueComment, issueEvent, MAINTAINER, pullRequestEvent } from "../fixtures/payloads.js";
import { api, blockNetwork, CONFIG, comments, config, decoded, imagesFile, mergedPull, permission, R, requestReads } from "./helpers/github.js";
import { testProbot } from "./helpers/probot.js";
import { requestState, statusBody } from "./helpers/state.js";

blockNetwork();

const FORM = "### Images\n\n```text\nnginx:1.26\nbitnami/redis:7\n```\n\n### Platform\n\n_No response_\n";
const REQUEST = "8-1772359200"; // issue 8, updated 2026-03-01T10:00:00Z
const BRANCH = `mirrorbot/request-${REQUEST}`;
const PR_URL = "https://github.com/Codertocat/Hello-World/pull/21";

/** Open the form issue as a community member; returns the status comment the app wrote. */
async function openFormIssue(): Promise<{ status: string; bodies: Record<string, any> }> {
  const { probot } = await testProbot();
  const bodies: Record<string, any> = {};
  const scope = api();
  requestReads(scope, { issue: 8, images: "nginx:1.26\n", sha: "sha-1", login: COMMUNITY.login, role: "read" });
  scope
    .get(`${R}/git/ref/heads%2Fmaster`)
    .reply(200, { ref: "refs/heads/master", object: { sha: "base-sha", type: "commit" } })
    .post(`${R}/git/refs`, (b) => ((bodies.ref = b), true))
    .reply(201, {});
  imagesFile(scope, "nginx:1.26\n", "sha-1", BRANCH);
  scope
    .put(`${R}/contents/images.txt`, (b) => ((bodies.put = b), true))
    .reply(201, { commit: { sha: "branch-commit", html_url: "x" } })
    .post(`${R}/pulls`, (b) => ((bodies.pull = b), true))
    .reply(201, { number: 21, html_url: PR_URL })
    .post(`${R}/issues/8/comments`, (b) => ((bodies.comment = b), true))
    .reply(201, { id: 9100 })
    .post(`${R}/issues/8/labels`, { labels: ["mirror:awaiting-approval"] })
    .reply(200, []);

  await probot.receive({ id: "d1", name: "issues", payload: issueEvent({ action: "opened", body: FORM }) as any });

  expect(scope.pendingMocks()).toEqual([]);
  return { status: bodies.comment.body, bodies };
}

describe("issue form from a community member", () => {
  it("opens a bot pull request adding only the new lines, links it, labels the issue", async () => {
    const { status, bodies } = await openFormIssue();
    expect(bodies.ref).toEqual({ ref: `refs/heads/${BRANCH}`, sha: "base-sha" });
    expect(bodies.put).toMatchObject({ branch: BRANCH, sha: "sha-1" });
    expect(decoded(bodies.put)).toBe("nginx:1.26\nbitnami/redis:7\n");
    expect(bodies.pull).toMatchInlineSnapshot(`
      {
        "base": "master",
        "body": "<!-- mirrorbot:issue 8 -->
      <!-- mirrorbot:request 8-1772359200 -->
      @carl asked in #8 to mirror these images; this adds them to \`images.txt\`:

      - \`bitnami/redis:7\`

      Merge this pull request, or comment \`/approve\` on #8, to start mirroring.",
        "head": "mirrorbot/request-8-1772359200",
        "title": "Mirror bitnami/redis:7",
      }
    `);
    expect(status).toMatchInlineSnapshot(`
      "<!-- mirrorbot:request 8-1772359200 -->
      <!-- mirrorbot:state {"version":1,"request":"8-1772359200","issue":8,"kind":"issue","status":"awaiting-approval","requester":{"login":"carl","id":2002},"images":["nginx:1.26","bitnami/redis:7"],"force":false,"pr":21,"commit":null,"run":null,"failed":[]} -->
      **Mirror request \`8-1772359200\` is waiting for approval.**

      @carl, thanks! The images are proposed in https://github.com/Codertocat/Hello-World/pull/21. A maintainer can merge that pull request, or comment \`/approve\` here, to start mirroring.

      | Image | Will be available as |
      | --- | --- |
      | \`nginx:1.26\` | \`registry.cn-hangzhou.aliyuncs.com/mirror/nginx:1.26\` |
      | \`bitnami/redis:7\` | \`registry.cn-hangzhou.aliyuncs.com/mirror/bitnami_redis:7\` |"
    `);
  });

  it("then /approve by a maintainer commits with the requester as co-author, closes the bot PR, dispatches", async () => {
    const { status } = await openFormIssue();
    const { probot } = await testProbot();
    const bodies: Record<string, any> = {};
    const scope = api();
    config(scope);
    permission(scope, MAINTAINER.login, "maintain", "write");
    comments(scope, 8, [{ id: 9100, body: status }]);
    imagesFile(scope, "nginx:1.26\n", "sha-5");
    imagesFile(scope, "nginx:1.26\n", "sha-5");
    scope
      .put(`${R}/contents/images.txt`, (b) => ((bodies.put = b), true))
      .reply(201, { commit: { sha: "d00d", html_url: "https://github.com/Codertocat/Hello-World/commit/d00d" } })
      .post(`${R}/issues/21/comments`, (b) => ((bodies.prComment = b), true))
      .reply(201, { id: 1 })
      .patch(`${R}/pulls/21`, { state: "closed" })
      .reply(200, {})
      .post(`${R}/actions/workflows/mirror.yml/dispatches`, (b) => ((bodies.dispatch = b), true))
      .reply(200, { workflow_run_id: 55, run_url: "u", html_url: "https://github.com/x/runs/55" })
      .patch(`${R}/issues/comments/9100`, (b) => b.body.includes('"status":"received"'))
      .reply(200, {})
      .patch(`${R}/issues/comments/9100`, (b) => ((bodies.status = b), true))
      .reply(200, {})
      .delete(`${R}/issues/8/labels/mirror%3Aawaiting-approval`)
      .reply(200, [])
      .post(`${R}/issues/8/labels`, { labels: ["mirror:queued"] })
      .reply(200, []);

    await probot.receive({
      id: "d2",
      name: "issue_comment",
      payload: issueComment({ body: "/approve", issue: 8, commentId: 5002, labels: ["mirror", "mirror:awaiting-approval"] }) as any,
    });

    expect(scope.pendingMocks()).toEqual([]);
    expect(decoded(bodies.put)).toBe("nginx:1.26\nbitnami/redis:7\n");
    expect(bodies.put).toMatchObject({ branch: "master", sha: "sha-5" });
    expect(bodies.put.message).toMatchInlineSnapshot(`
      "Mirror bitnami/redis:7 (#8)

      Add to images.txt, requested in #8:

      - bitnami/redis:7

      Co-authored-by: carl <2002+carl@users.noreply.github.com>
      Mirrorbot-Request: 8-1772359200"
    `);
    expect(bodies.prComment.body).toMatchInlineSnapshot(`"Approved by @maya in #8: the images are committed to the default branch in https://github.com/Codertocat/Hello-World/commit/d00d. Closing this pull request; the mirror status is in #8."`);
    expect(bodies.dispatch.inputs).toEqual({ images: "nginx:1.26\nbitnami/redis:7", request: REQUEST, force: "false" });
    expect(bodies.status.body).toContain(`**Mirror request \`${REQUEST}\` is queued.** Run: https://github.com/x/runs/55`);
    expect(bodies.status.body).toContain('"status":"queued"');
    expect(bodies.status.body).toContain('"pr":null');
  });

  /** Merge bot PR #21 whose diff adds `adds`, leaving `merged` on the default branch; returns what the app sent. */
  async function mergeBotPull(adds: string[], merged: string, count: number): Promise<Record<string, any>> {
    const { status } = await openFormIssue();
    const { probot } = await testProbot();
    const bodies: Record<string, any> = {};
    const scope = api();
    config(scope);
    mergedPull(scope, 21, { adds, merged });
    comments(scope, 8, [{ id: 9100, body: status }]);
    scope
      .get(`${R}/issues/8`)
      .reply(200, { number: 8, state: "open", labels: [{ name: "mirror" }, { name: "mirror:awaiting-approval" }] })
      .post(`${R}/actions/workflows/mirror.yml/dispatches`, (b) => ((bodies.dispatch = b), true))
      .reply(200, { workflow_run_id: 56, run_url: "u", html_url: "https://github.com/x/runs/56" })
      .patch(`${R}/issues/comments/9100`, (b) => b.body.includes('"status":"received"'))
      .reply(200, {})
      .patch(`${R}/issues/comments/9100`, (b) => b.body.includes("is queued.** Run: https://github.com/x/runs/56"))
      .reply(200, {})
      .delete(`${R}/issues/8/labels/mirror%3Aawaiting-approval`)
      .reply(200, [])
      .post(`${R}/issues/8/labels`, { labels: ["mirror:queued"] })
      .reply(200, [])
      .post(`${R}/issues/21/comments`, (b) => ((bodies.prComment = b), true))
      .reply(201, { id: 2 });

    const payload = pullRequestEvent({ action: "closed", number: 21, merged: true, headRef: BRANCH, author: BOT, sender: MAINTAINER });
    await probot.receive({ id: "d3", name: "pull_request", payload: payload as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(bodies.prComment.body).toBe(`Merged. Mirroring ${count} image${count === 1 ? "" : "s"}; the status is in #8.`);
    return bodies;
  }

  it("or merging the bot PR dispatches the request and points the PR at the issue", async () => {
    // nginx:1.26 was listed already, so the bot PR adds only bitnami/redis:7; both were asked for.
    const bodies = await mergeBotPull(["bitnami/redis:7"], "nginx:1.26\nbitnami/redis:7\n", 2);
    expect(bodies.dispatch.inputs).toEqual({ images: "nginx:1.26\nbitnami/redis:7", request: REQUEST, force: "false" });
  });

  it("merging a bot PR a maintainer edited dispatches what was merged, not what was asked", async () => {
    // The maintainer replaced bitnami/redis:7 with bitnami/redis:7.2 before merging.
    const bodies = await mergeBotPull(["bitnami/redis:7.2"], "nginx:1.26\nbitnami/redis:7.2\n", 2);
    expect(bodies.dispatch.inputs).toEqual({ images: "nginx:1.26\nbitnami/redis:7.2", request: REQUEST, force: "false" });
  });

  it("merging a bot PR that no longer adds any requested image dispatches nothing", async () => {
    const { status } = await openFormIssue();
    const { probot, logs } = await testProbot();
    let reply = "";
    const scope = api();
    config(scope);
    mergedPull(scope, 21, { adds: [], merged: "redis:7\n" });
    comments(scope, 8, [{ id: 9100, body: status }]);
    scope.post(`${R}/issues/21/comments`, (b) => ((reply = b.body), true)).reply(201, { id: 2 });

    const payload = pullRequestEvent({ action: "closed", number: 21, merged: true, headRef: BRANCH, author: BOT, sender: MAINTAINER });
    await probot.receive({ id: "d3", name: "pull_request", payload: payload as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(reply).toBe("Merged, but none of the images requested in #8 is in the images file now; nothing to mirror.");
    expect(logs.some((l) => l.fields.reason === "nothing-merged")).toBe(true);
  });

  it("refuses /approve from someone without the permission", async () => {
    const { probot } = await testProbot();
    let reply = "";
    const scope = api();
    config(scope);
    permission(scope, COMMUNITY.login, "triage", "read");
    scope.post(`${R}/issues/8/comments`, (b) => ((reply = b.body), true)).reply(201, { id: 1 });

    await probot.receive({ id: "d4", name: "issue_comment", payload: issueComment({ body: "/approve", issue: 8, sender: COMMUNITY }) as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(reply).toBe("@carl, only people with `write` permission or more on this repository can approve mirror requests.");
  });

  it("answers /approve when nothing waits for approval", async () => {
    const { probot } = await testProbot();
    let reply = "";
    const scope = api();
    config(scope);
    permission(scope, MAINTAINER.login, "admin");
    comments(scope, 8);
    scope.post(`${R}/issues/8/comments`, (b) => ((reply = b.body), true)).reply(201, { id: 1 });

    await probot.receive({ id: "d5", name: "issue_comment", payload: issueComment({ body: "/approve", issue: 8 }) as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(reply).toBe("@maya, no mirror request on this issue is waiting for approval.");
  });

  it("re-evaluates an edited form as a new request", async () => {
    const { probot } = await testProbot();
    let reply = "";
    const scope = api();
    config(scope);
    comments(scope, 8);
    imagesFile(scope, "", "sha-1");
    scope.post(`${R}/issues/8/comments`, (b) => ((reply = b.body), true)).reply(201, { id: 1 });

    const body = "### Images\n\nnginx:1.26\nRedis:7\n\n### Platform\n\nlinux/arm64\n";
    await probot.receive({
      id: "d8",
      name: "issues",
      payload: issueEvent({ action: "edited", body, updatedAt: "2026-03-01T11:00:00Z" }) as any,
    });

    expect(scope.pendingMocks()).toEqual([]);
    expect(reply).toContain("<!-- mirrorbot:request 8-1772362800 -->");
    expect(reply.split("\n").slice(2).join("\n")).toMatchInlineSnapshot(`
      "**Mirror request \`8-1772362800\` was not accepted.** Nothing was committed and nothing was started.

      @carl, please fix this problem and ask again:

      - \`Redis:7\`: invalid reference \`Redis:7\`: repository name must be lowercase"
    `);
  });

  it("ignores form issues without the mirror label and edits that leave the body alone", async () => {
    const { probot, logs } = await testProbot();
    const scope = api();

    await probot.receive({ id: "d6", name: "issues", payload: issueEvent({ action: "opened", body: FORM, labels: ["bug"] }) as any });
    await probot.receive({ id: "d7", name: "issues", payload: issueEvent({ action: "edited", body: FORM, bodyChanged: false }) as any });

    expect(scope.isDone()).toBe(false);
    expect(logs.filter((l) => l.fields.reason).map((l) => l.fields.reason)).toEqual(["not-labelled", "body-unchanged"]);
  });

  /** Edit the form issue (authored by `author`) as `editor`; expects a bot pull request. Returns what the app sent. */
  async function editAwaitingApproval(author: typeof COMMUNITY, editor: typeof COMMUNITY, roles: Array<[string, string, string]>): Promise<Record<string, any>> {
    const { probot } = await testProbot();
    const bodies: Record<string, any> = {};
    const scope = api();
    const [first, ...rest] = roles;
    requestReads(scope, { issue: 8, images: "nginx:1.26\n", sha: "sha-1", login: first![0], role: first![1], legacy: first![2] });
    for (const [login, role, legacy] of rest) permission(scope, login, role, legacy);
    scope
      .get(`${R}/git/ref/heads%2Fmaster`)
      .reply(200, { ref: "refs/heads/master", object: { sha: "base-sha", type: "commit" } })
      .post(`${R}/git/refs`)
      .reply(201, {});
    imagesFile(scope, "nginx:1.26\n", "sha-1", "mirrorbot/request-8-1772362800");
    scope
      .put(`${R}/contents/images.txt`, (b) => ((bodies.put = b), true))
      .reply(201, { commit: { sha: "branch-commit", html_url: "x" } })
      .post(`${R}/pulls`)
      .reply(201, { number: 22, html_url: "https://github.com/Codertocat/Hello-World/pull/22" })
      .post(`${R}/issues/8/comments`, (b) => ((bodies.comment = b), true))
      .reply(201, { id: 9101 })
      .post(`${R}/issues/8/labels`, { labels: ["mirror:awaiting-approval"] })
      .reply(200, []);

    const payload = issueEvent({ action: "edited", body: FORM, sender: editor, updatedAt: "2026-03-01T11:00:00Z" });
    payload.issue.user = { ...payload.issue.user, login: author.login, id: author.id, type: "User" };
    await probot.receive({ id: "d9", name: "issues", payload: payload as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(bodies.put).toMatchObject({ branch: "mirrorbot/request-8-1772362800" });
    return bodies;
  }

  it("an edit by a maintainer stays the author's request: their permission decides, so it waits for approval", async () => {
    // Only the author's permission is asked for; the maintainer's would let it through.
    const bodies = await editAwaitingApproval(COMMUNITY, MAINTAINER, [[COMMUNITY.login, "read", "read"]]);
    expect(bodies.comment.body).toContain('"status":"awaiting-approval","requester":{"login":"carl","id":2002}');
  });

  it("an edit of a maintainer's request by someone without the permission waits for approval too", async () => {
    // Otherwise anyone able to edit the issue could slip an image into a direct commit.
    const bodies = await editAwaitingApproval(MAINTAINER, COMMUNITY, [
      [MAINTAINER.login, "maintain", "write"],
      [COMMUNITY.login, "read", "read"],
    ]);
    expect(bodies.comment.body).toContain(`"status":"awaiting-approval","requester":{"login":"${MAINTAINER.login}","id":${MAINTAINER.id}}`);
  });
});

describe("/approve with more than one request waiting", () => {
  const first = requestState({ status: "awaiting-approval", images: ["bitnami/redis:7", "nginx:1.26"], pr: 21 });
  const second = requestState({ request: "7-5002", status: "awaiting-approval", images: ["evil/miner:1"], pr: 22 });

  it("refuses a bare /approve and lists the requests, so a request added during review is not approved unseen", async () => {
    const { probot } = await testProbot();
    let reply = "";
    const scope = api();
    config(scope);
    permission(scope, MAINTAINER.login, "maintain", "write");
    comments(scope, 7, [
      { id: 9001, body: statusBody(first) },
      { id: 9002, body: statusBody(second) },
    ]);
    scope.post(`${R}/issues/7/comments`, (b) => ((reply = b.body), true)).reply(201, { id: 1 });

    await probot.receive({ id: "a1", name: "issue_comment", payload: issueComment({ body: "/approve" }) as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(reply).toBe(
      [
        "@maya, 2 mirror requests on this issue are waiting for approval. Approve the one you reviewed with `/approve <request>`:",
        "",
        "- `/approve 7-5001`: 2 images proposed in #21, asked by `maya`",
        "- `/approve 7-5002`: 1 image proposed in #22, asked by `maya`",
      ].join("\n"),
    );
  });

  it("/approve <request> approves that one only", async () => {
    const { probot } = await testProbot();
    const bodies: Record<string, any> = {};
    const scope = api();
    config(scope);
    permission(scope, MAINTAINER.login, "maintain", "write");
    comments(scope, 7, [
      { id: 9001, body: statusBody(first) },
      { id: 9002, body: statusBody(second) },
    ]);
    imagesFile(scope, "nginx:1.26\n", "sha-5");
    imagesFile(scope, "nginx:1.26\n", "sha-5");
    scope
      .put(`${R}/contents/images.txt`, (b) => ((bodies.put = b), true))
      .reply(201, { commit: { sha: "d00d", html_url: "https://github.com/x/commit/d00d" } })
      .post(`${R}/issues/21/comments`)
      .reply(201, { id: 1 })
      .patch(`${R}/pulls/21`, { state: "closed" })
      .reply(200, {})
      .post(`${R}/actions/workflows/mirror.yml/dispatches`, (b) => ((bodies.dispatch = b), true))
      .reply(200, { workflow_run_id: 57, run_url: "u", html_url: "https://github.com/x/runs/57" })
      .patch(`${R}/issues/comments/9001`)
      .times(2)
      .reply(200, {})
      .post(`${R}/issues/7/labels`, { labels: ["mirror:queued"] })
      .reply(200, []);

    await probot.receive({ id: "a2", name: "issue_comment", payload: issueComment({ body: "/approve `7-5001` after review" }) as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(decoded(bodies.put)).toBe("nginx:1.26\nbitnami/redis:7\n");
    expect(bodies.dispatch.inputs).toEqual({ images: "bitnami/redis:7\nnginx:1.26", request: "7-5001", force: "false" });
  });

  it("/approve naming a request that is not waiting says so", async () => {
    const { probot } = await testProbot();
    let reply = "";
    const scope = api();
    config(scope);
    permission(scope, MAINTAINER.login, "admin");
    comments(scope, 7, [{ id: 9001, body: statusBody(first) }]);
    scope.post(`${R}/issues/7/comments`, (b) => ((reply = b.body), true)).reply(201, { id: 1 });

    await probot.receive({ id: "a3", name: "issue_comment", payload: issueComment({ body: "/approve 7-9999" }) as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(reply).toBe("@maya, no mirror request `7-9999` on this issue is waiting for approval.");
  });

  it("/approve does not count the stored lines (one per platform) against maxImagesPerRequest again", async () => {
    // 6 images x 2 platforms were accepted at submit; the stored request has 12 lines.
    const lines = ["redis:7", "nginx:1.26", "mysql:8.0", "alpine:3.20", "busybox:1.36", "postgres:16"].flatMap((image) =>
      ["linux/amd64", "linux/arm64"].map((p) => `--platform=${p} ${image}`),
    );
    const { probot } = await testProbot();
    const bodies: Record<string, any> = {};
    const scope = api();
    config(scope, `${CONFIG}policy:\n  maxImagesPerRequest: 10\n`);
    permission(scope, MAINTAINER.login, "maintain", "write");
    comments(scope, 7, [{ id: 9001, body: statusBody(requestState({ status: "awaiting-approval", images: lines, pr: 21 })) }]);
    imagesFile(scope, "", "sha-5");
    imagesFile(scope, "", "sha-5");
    scope
      .put(`${R}/contents/images.txt`)
      .reply(201, { commit: { sha: "d00d", html_url: "https://github.com/x/commit/d00d" } })
      .post(`${R}/issues/21/comments`)
      .reply(201, { id: 1 })
      .patch(`${R}/pulls/21`, { state: "closed" })
      .reply(200, {})
      .post(`${R}/actions/workflows/mirror.yml/dispatches`, (b) => ((bodies.dispatch = b), true))
      .reply(200, { workflow_run_id: 58, run_url: "u", html_url: "https://github.com/x/runs/58" })
      .patch(`${R}/issues/comments/9001`, (b) => ((bodies.status = b.body), true))
      .times(2)
      .reply(200, {})
      .post(`${R}/issues/7/labels`, { labels: ["mirror:queued"] })
      .reply(200, []);

    await probot.receive({ id: "a4", name: "issue_comment", payload: issueComment({ body: "/approve" }) as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(bodies.dispatch.inputs.images.split("\n")).toEqual(lines);
    expect(bodies.status).toContain('"status":"queued"');
  });
});
