/** `/sync` comments: the direct path for maintainers, and every way a request is refused. */
import nock from "nock";
import { describe, expect, it } from "vitest";
import { githubLimiter } from "../../src/app/rate-limit.js";
import { BOT, FULL_NAME, issueComment, MAINTAINER } from "../fixtures/payloads.js";
import { api, appIdentity, BOT_USER, blockNetwork, claimedComment, comments, CONFIG, config, decoded, imagesFile, launchComment, expectQueued, R, requestReads } from "./helpers/github.js";
import { API, testDeps, testProbot } from "./helpers/probot.js";
import { requestState, statusBody } from "./helpers/state.js";

blockNetwork();

const RUN_URL = "https://github.com/Codertocat/Hello-World/actions/runs/4242";

/** Deliver an issue_comment.created; handler errors reject. */
async function comment(probot: Awaited<ReturnType<typeof testProbot>>["probot"], payload: object): Promise<void> {
  await probot.receive({ id: "delivery", name: "issue_comment", payload: payload as any });
}

describe("/sync by a maintainer", () => {
  it("on an issue: commits the new line, dispatches once, replies queued with the target names", async () => {
    const { probot } = await testProbot();
    const bodies: Record<string, any> = {};
    const scope = api();
    requestReads(scope, { issue: 7, images: "nginx:1.26\n", sha: "sha-1", login: MAINTAINER.login, role: "maintain", legacy: "write" });
    imagesFile(scope, "nginx:1.26\n", "sha-1");
    scope
      .put(`${R}/contents/images.txt`, (b) => ((bodies.put = b), true))
      .reply(201, { commit: { sha: "c0ffee", html_url: "https://github.com/Codertocat/Hello-World/commit/c0ffee" } })
      .post(`${R}/actions/workflows/mirror.yml/dispatches`, (b) => ((bodies.dispatch = b), true))
      .reply(200, { workflow_run_id: 4242, run_url: "https://api.github.com/x", html_url: RUN_URL })
      .post(`${R}/issues/7/labels`, (b) => ((bodies.labels = b), true))
      .reply(200, []);
    launchComment(scope, 7, 9001, (body) => (bodies.comment = { body }));

    await comment(probot, issueComment({ body: "Thanks!\n/sync redis:7 nginx:1.26" }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(decoded(bodies.put)).toBe("nginx:1.26\nredis:7\n");
    expect(bodies.put).toMatchObject({ branch: "master", sha: "sha-1" });
    expect(bodies.put.message).toMatchInlineSnapshot(`
      "Mirror redis:7 (#7)

      Add to images.txt, requested in #7:

      - redis:7

      Co-authored-by: maya <1001+maya@users.noreply.github.com>
      Mirrorbot-Request: 7-5001"
    `);
    expect(bodies.dispatch).toEqual({
      ref: "master",
      inputs: { images: "redis:7\nnginx:1.26", request: "7-5001", force: "false" },
      return_run_details: true,
    });
    expect(bodies.comment.body).toMatchInlineSnapshot(`
      "<!-- mirrorbot:request 7-5001 -->
      <!-- mirrorbot:state {"version":1,"request":"7-5001","issue":7,"kind":"issue","status":"queued","requester":{"login":"maya","id":1001},"images":["redis:7","nginx:1.26"],"force":false,"pr":null,"commit":"c0ffee","run":{"id":4242,"url":"https://github.com/Codertocat/Hello-World/actions/runs/4242"},"failed":[]} -->
      **Mirror request \`7-5001\` is queued.** Run: https://github.com/Codertocat/Hello-World/actions/runs/4242

      | Image | Will be available as |
      | --- | --- |
      | \`redis:7\` | \`registry.cn-hangzhou.aliyuncs.com/mirror/redis:7\` |
      | \`nginx:1.26\` | \`registry.cn-hangzhou.aliyuncs.com/mirror/nginx:1.26\` |"
    `);
    expect(bodies.labels).toEqual({ labels: ["mirror:queued"] });
  });

  it("on a pull request: dispatch answered 204, the run is found by its title, nothing to commit", async () => {
    const { probot } = await testProbot();
    const bodies: Record<string, any> = {};
    const scope = api();
    requestReads(scope, { issue: 12, images: "--platform=linux/arm64 mysql:8.0\n", sha: "sha-1", login: MAINTAINER.login, role: "write" });
    scope
      .post(`${R}/actions/workflows/mirror.yml/dispatches`, (b) => ((bodies.dispatch = b), true))
      .reply(204)
      .get(`${R}/actions/workflows/mirror.yml/runs`)
      .query({ event: "workflow_dispatch", branch: "master", per_page: "30" })
      .reply(200, { total_count: 0, workflow_runs: [] })
      .get(`${R}/actions/workflows/mirror.yml/runs`)
      .query(true)
      .reply(200, {
        total_count: 2,
        workflow_runs: [
          { id: 11, display_title: "mirror 12-50011", html_url: "https://github.com/x/runs/11" },
          { id: 12, display_title: "mirror 12-5001", html_url: "https://github.com/x/runs/12" },
        ],
      })
      .post(`${R}/issues/12/labels`, { labels: ["mirror:queued"] })
      .reply(200, []);
    // Edited twice: queued as soon as the dispatch is accepted, then with the run once found.
    const edits: string[] = [];
    launchComment(scope, 12, 9002, (body) => (edits.push(body), (bodies.comment = { body })), 2);

    await comment(probot, issueComment({ body: "/sync mysql:8.0 --platform=linux/arm64/v8", issue: 12, onPullRequest: true }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(bodies.dispatch.inputs.images).toBe("--platform=linux/arm64 mysql:8.0");
    expect(edits[0]).toContain("**Mirror request `12-5001` is queued.** The run will be linked here when it finishes.");
    expect(bodies.comment.body).toContain('"kind":"pull"');
    expect(bodies.comment.body).toContain("**Mirror request `12-5001` is queued.** Run: https://github.com/x/runs/12");
    expect(bodies.comment.body).toContain("| `mysql:8.0 (linux/arm64)` | `registry.cn-hangzhou.aliyuncs.com/mirror/mysql:8.0-linux-arm64` |");
  });

  it("on GHES, which rejects return_run_details with 422, dispatches once more without it", async () => {
    const { probot } = await testProbot();
    const dispatches: any[] = [];
    const scope = api();
    requestReads(scope, { issue: 7, images: "redis:7\n", sha: "sha-1", login: MAINTAINER.login, role: "admin" });
    scope
      .post(`${R}/actions/workflows/mirror.yml/dispatches`, (b) => (dispatches.push(b), true))
      .reply(422, { message: 'Invalid request.\n\n"return_run_details" is not a permitted key.' })
      .post(`${R}/actions/workflows/mirror.yml/dispatches`, (b) => (dispatches.push(b), true))
      .reply(204)
      .get(`${R}/actions/workflows/mirror.yml/runs`)
      .query(true)
      .times(3)
      .reply(200, { total_count: 0, workflow_runs: [] })
      .post(`${R}/issues/7/labels`)
      .reply(200, []);
    let status = "";
    launchComment(scope, 7, 9003, (body) => (status = body));

    await comment(probot, issueComment({ body: "/sync redis:7" }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(dispatches).toEqual([
      { ref: "master", inputs: { images: "redis:7", request: "7-5001", force: "false" }, return_run_details: true },
      { ref: "master", inputs: { images: "redis:7", request: "7-5001", force: "false" } },
    ]);
    expect(status).toContain("is queued.** The run will be linked here when it finishes.");
  });

  it("retries a commit that meets a conflict (409) on re-read content, and it lands", async () => {
    const { probot } = await testProbot();
    const puts: any[] = [];
    const scope = api();
    requestReads(scope, { issue: 7, images: "nginx:1.26\n", sha: "sha-1", login: MAINTAINER.login, role: "admin" });
    imagesFile(scope, "nginx:1.26\n", "sha-1");
    scope
      .put(`${R}/contents/images.txt`, (b) => (puts.push(b), true))
      .reply(409, { message: "images.txt does not match sha-1" });
    imagesFile(scope, "nginx:1.26\nalpine:3.20\n", "sha-2");
    scope
      .put(`${R}/contents/images.txt`, (b) => (puts.push(b), true))
      .reply(201, { commit: { sha: "beef", html_url: "https://github.com/x/commit/beef" } })
      .post(`${R}/actions/workflows/mirror.yml/dispatches`)
      .reply(200, { workflow_run_id: 1, run_url: "u", html_url: "https://github.com/x/runs/1" })
      .post(`${R}/issues/7/labels`)
      .reply(200, []);
    let status = "";
    launchComment(scope, 7, 1, (body) => (status = body));

    await comment(probot, issueComment({ body: "/sync redis:7" }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(status).toContain('"commit":"beef"');
    expect(puts.map((p) => [p.sha, decoded(p)])).toEqual([
      ["sha-1", "nginx:1.26\nredis:7\n"],
      ["sha-2", "nginx:1.26\nalpine:3.20\nredis:7\n"],
    ]);
  });

  it("says so when the workflow cannot be started, and labels the request failed", async () => {
    const { probot } = await testProbot();
    let reply = "";
    const scope = api();
    requestReads(scope, { issue: 7, images: "redis:7\n", sha: "sha-1", login: MAINTAINER.login, role: "admin" });
    scope
      .post(`${R}/actions/workflows/mirror.yml/dispatches`)
      .reply(404, { message: "Not Found" })
      .post(`${R}/issues/7/labels`, { labels: ["mirror:failed"] })
      .reply(200, []);
    launchComment(scope, 7, 1, (body) => (reply = body));

    await comment(probot, issueComment({ body: "/sync redis:7" }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(reply).toContain('"status":"failed"');
    expect(reply.split("\n").slice(2).join("\n")).toBe(
      "**Mirror request `7-5001` could not be started:** dispatching mirror.yml failed: Not Found.\n\nComment `/retry` to try again.",
    );
  });

  it("does nothing again for a redelivered comment (its status comment exists)", async () => {
    const { probot, logs } = await testProbot();
    const existing = statusBody(requestState({ images: ["redis:7"], run: { id: 1, url: "u" } }));
    const scope = api();
    config(scope);
    comments(scope, 7, [{ id: 1, body: existing }]);

    await comment(probot, issueComment({ body: "/sync redis:7" }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(logs.find((l) => l.fields.reason === "already-handled")?.fields.request).toBe("7-5001");
  });
});

describe("/sync refused", () => {
  it("rejects the whole request when one image is invalid: one reply listing each problem, no commit, no dispatch", async () => {
    const { probot } = await testProbot();
    let reply = "";
    const scope = api();
    config(scope);
    comments(scope, 7);
    imagesFile(scope, "", "sha-1");
    scope
      .post(`${R}/issues/7/comments`, (b) => ((reply = b.body), true))
      .reply(201, { id: 1 });

    await comment(probot, issueComment({ body: "/sync redis:7 nginx::1 --platform=linux/amd64 --force" }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(reply.split("\n").slice(2).join("\n")).toMatchInlineSnapshot(`
      "**Mirror request \`7-5001\` was not accepted.** Nothing was committed and nothing was started.

      @maya, please fix these problems and ask again:

      - unknown option \`--force\`; only \`--platform=os/arch\` is understood
      - \`nginx::1\`: invalid reference \`nginx::1\`: tag \`:1\` must start with a letter, digit or \`_\`"
    `);
    expect(reply).toContain('"status":"rejected"');
  });

  it("shows bidi and zero-width characters of a refused image as escapes, and cuts a huge one", async () => {
    const { probot } = await testProbot();
    let reply = "";
    const scope = api();
    config(scope);
    comments(scope, 7);
    imagesFile(scope, "", "sha-1");
    scope.post(`${R}/issues/7/comments`, (b) => ((reply = b.body), true)).reply(201, { id: 1 });

    await comment(probot, issueComment({ body: `/sync evil\u202Eimage:1\u200B ${"b".repeat(100_000)}:1` }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(reply).not.toMatch(/[\u200B\u202E]/);
    expect(reply.length).toBeLessThan(3000);
    expect(reply).toContain("- `evil\\u{202E}image:1\\u{200B}`: invalid reference `evil\\u{202E}image:1\\u{200B}`: invalid character `\\u{202E}`");
    expect(reply).toContain(`- \`${"b".repeat(119)}…\`: invalid reference \`${"b".repeat(119)}…\``);
  });

  it("replies naming the broken key when .github/mirrorbot.yml does not validate", async () => {
    const { probot } = await testProbot();
    let reply = "";
    const scope = api();
    config(scope, "targets:\n  - registry: https://registry.example.com\npolicy:\n  maxImagesPerRequets: 3\n");
    scope.post(`${R}/issues/7/comments`, (b) => ((reply = b.body), true)).reply(201, { id: 1 });

    await comment(probot, issueComment({ body: "/sync redis:7" }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(reply).toMatchInlineSnapshot(`
      "mirrorbot did nothing: \`.github/mirrorbot.yml\` has problems. A maintainer needs to fix:

      - \`targets[0].registry\`: expected a registry host\\[:port\\] without a scheme, e.g. \`registry.example.com\`, got \`https://registry.example.com\`
      - \`policy.maxImagesPerRequets\`: unknown key; did you mean \`maxImagesPerRequest\`?"
    `);
  });

  it("replies with a config problem when .github/mirrorbot.yml is a YAML alias bomb", async () => {
    const { probot } = await testProbot();
    let reply = "";
    const scope = api();
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...["b", "c", "d", "e", "f", "g"].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcdef"[i]}`).join(",")}]`)];
    config(scope, `${bomb.join("\n")}\n`);
    scope.post(`${R}/issues/7/comments`, (b) => ((reply = b.body), true)).reply(201, { id: 1 });

    await comment(probot, issueComment({ body: "/sync redis:7" }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(reply).toBe(
      "mirrorbot did nothing: `.github/mirrorbot.yml` has a problem. A maintainer needs to fix:\n\n" +
        "- YAML aliases expand to too many nodes (more than 100 aliases resolved): an alias bomb is refused; write the values out instead",
    );
  });

  it("replies politely when the sender is over the hourly limit, counted from GitHub's comments", async () => {
    const { probot } = await testProbot(testDeps({ rateLimits: githubLimiter() }));
    const now = Date.parse("2026-03-01T10:00:00Z");
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
    const earlier = (n: number, minutesAgo: number) => ({
      id: 800 + n,
      issue_url: `https://api.github.com${R}/issues/${30 + n}`,
      body: statusBody(requestState({ request: `${30 + n}-${700 + n}`, issue: 30 + n })),
      user: BOT_USER,
      created_at: at(minutesAgo),
    });
    let reply = "";
    const scope = api();
    config(scope, `${CONFIG}policy:\n  requestsPerHour: 2\n`);
    comments(scope, 7);
    appIdentity(scope)
      .get(`${R}/issues/comments`)
      .query(true)
      .reply(200, [earlier(1, 5), earlier(0, 15)])
      .get(`${R}/issues`)
      .query((q) => q.creator === MAINTAINER.login)
      .reply(200, [])
      .post(`${R}/issues/7/comments`, (b) => ((reply = b.body), true))
      .reply(201, { id: 1 });
    const payload = issueComment({ body: "/sync redis:7" });
    payload.comment.created_at = at(0);

    await comment(probot, payload);

    expect(scope.pendingMocks()).toEqual([]);
    expect(reply.split("\n").slice(2).join("\n")).toMatchInlineSnapshot(`
      "**Mirror request \`7-5001\` was not started.**

      @maya, you have already made 2 mirror requests in the last hour, the most this repository allows (\`policy.requestsPerHour\`). Please ask again in 45 minutes."
    `);
  });

  it("ignores comments by bots, its own included, and quoted commands, without any API call", async () => {
    const { probot, logs } = await testProbot();
    const scope = api();

    await comment(probot, issueComment({ body: "/sync redis:7", sender: BOT }));
    await comment(probot, issueComment({ body: "> /sync redis:7\n\nWhat does this do?" }));

    expect(scope.isDone()).toBe(false);
    expect(logs.filter((l) => l.fields.reason).map((l) => l.fields.reason)).toEqual(["bot-sender", "no-command"]);
  });

  it("does not trust a status marker pasted by a person", async () => {
    const { probot } = await testProbot();
    const forged = statusBody(requestState({ requester: { login: "x", id: 1 } }));
    const scope = api();
    requestReads(scope, {
      issue: 7,
      comments: [{ id: 1, body: forged, bot: false }],
      images: "redis:7\n",
      sha: "sha-1",
      login: MAINTAINER.login,
      role: "admin",
    });
    expectQueued(scope, { issue: 7, runId: 1, commentId: 2 });

    await comment(probot, issueComment({ body: "/sync redis:7" }));

    expect(scope.pendingMocks()).toEqual([]);
  });
});

describe("/sync writes exactly the image the policy checked", () => {
  it("keeps a Docker Hub path that looks like a host in full: committed and dispatched as docker.io/evil.com/x:1, not evil.com/x:1", async () => {
    const { probot } = await testProbot();
    const bodies: Record<string, any> = {};
    const scope = api();
    config(scope, `${CONFIG}policy:\n  allow: ["docker.io/**"]\n`);
    comments(scope, 7);
    imagesFile(scope, "nginx:1.26\n", "sha-1");
    scope.get(`${R}/collaborators/maya/permission`).reply(200, { permission: "admin", role_name: "admin", user: { login: "maya" } });
    imagesFile(scope, "nginx:1.26\n", "sha-1");
    scope
      .put(`${R}/contents/images.txt`, (b) => ((bodies.put = b), true))
      .reply(201, { commit: { sha: "c0ffee", html_url: "https://github.com/x/commit/c0ffee" } })
      .post(`${R}/actions/workflows/mirror.yml/dispatches`, (b) => ((bodies.dispatch = b), true))
      .reply(200, { workflow_run_id: 1, run_url: "u", html_url: "https://github.com/x/runs/1" })
      .post(`${R}/issues/7/labels`)
      .reply(200, []);
    let status = "";
    launchComment(scope, 7, 1, (body) => (status = body));

    await comment(probot, issueComment({ body: "/sync docker.io/evil.com/x:1 docker.io/library/redis:7" }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(decoded(bodies.put)).toBe("nginx:1.26\ndocker.io/evil.com/x:1\nredis:7\n");
    expect(bodies.dispatch.inputs.images).toBe("docker.io/evil.com/x:1\nredis:7");
    expect(status).toContain("| `docker.io/evil.com/x:1` | `registry.cn-hangzhou.aliyuncs.com/mirror/evil.com_x:1` |");
  });
});

describe("status comments the app trusts", () => {
  const queuedElsewhere = statusBody(requestState({ images: ["redis:7"], run: { id: 1, url: "u" } }));

  it("ignores request state written by another bot, or not at the start of the comment, and acts on the request", async () => {
    const { probot, logs } = await testProbot();
    const scope = api();
    requestReads(scope, {
      issue: 7,
      comments: [
        { id: 1, body: queuedElsewhere, login: "other-app[bot]" },
        { id: 2, body: `Quoting the bot:\n${queuedElsewhere}` },
      ],
      images: "redis:7\n",
      sha: "sha-1",
      login: MAINTAINER.login,
      role: "admin",
    });
    expectQueued(scope, { issue: 7, runId: 2, commentId: 3 });

    await comment(probot, issueComment({ body: "/sync redis:7" }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(logs.some((l) => l.fields.reason === "already-handled")).toBe(false);
  });

  it("trusts its own bot, or a comment posted through its app id, and asks GET /app once per process", async () => {
    const { probot, logs } = await testProbot();
    const scope = api();
    config(scope);
    comments(scope, 7, [{ id: 1, body: queuedElsewhere }]);
    config(scope);
    comments(scope, 7, [{ id: 1, body: queuedElsewhere, login: "renamed[bot]", viaApp: 123 }], true);

    await comment(probot, issueComment({ body: "/sync redis:7" }));
    await comment(probot, issueComment({ body: "/sync redis:7" }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(logs.filter((l) => l.fields.reason === "already-handled")).toHaveLength(2);
  });
});

describe("a commit the default branch refuses", () => {
  it("is reported once with GitHub's message, not retried as a conflict", async () => {
    const { probot } = await testProbot();
    const puts: any[] = [];
    let status = "";
    const scope = api();
    requestReads(scope, { issue: 7, images: "nginx:1.26\n", sha: "sha-1", login: MAINTAINER.login, role: "admin" });
    imagesFile(scope, "nginx:1.26\n", "sha-1");
    scope
      .put(`${R}/contents/images.txt`, (b) => (puts.push(b), true))
      .reply(409, { message: "Repository rule violations found\n\nChanges must be made through a pull request.\n\n" })
      .post(`${R}/issues/7/labels`, { labels: ["mirror:failed"] })
      .reply(200, []);
    launchComment(scope, 7, 1, (body) => (status = body));

    await comment(probot, issueComment({ body: "/sync redis:7" }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(puts).toHaveLength(1);
    expect(status).toContain('"status":"failed"');
    expect(status.split("\n").slice(2).join("\n")).toBe(
      "**Mirror request `7-5001` could not be started:** images.txt could not be committed: Repository rule violations found Changes must be made through a pull request.\n\n" +
        "The default branch does not accept the app's commits (branch protection or a ruleset): allow the app to push to it, or add images through pull requests. Comment `/retry` to try again.",
    );
  });
});

describe("one request, one run", () => {
  it("says `received` in the status comment before it commits, and `queued` right after the dispatch", async () => {
    const { probot } = await testProbot();
    const order: string[] = [];
    const scope = api();
    requestReads(scope, { issue: 7, images: "nginx:1.26\n", sha: "sha-1", login: MAINTAINER.login, role: "admin" });
    imagesFile(scope, "nginx:1.26\n", "sha-1");
    scope
      .put(`${R}/contents/images.txt`, () => (order.push("commit"), true))
      .reply(201, { commit: { sha: "c0ffee", html_url: "u" } })
      .post(`${R}/actions/workflows/mirror.yml/dispatches`, () => (order.push("dispatch"), true))
      .reply(200, { workflow_run_id: 5, run_url: "u", html_url: "https://github.com/x/runs/5" })
    claimedComment(scope, 7, 9001, (body) => (order.push(`create ${JSON.parse(/mirrorbot:state (\{.*?\}) -->/.exec(body)![1]!).status}`), true));
    scope
      .patch(`${R}/issues/comments/9001`, (b) => (order.push(`edit ${JSON.parse(/mirrorbot:state (\{.*?\}) -->/.exec(b.body)![1]!).status}`), true))
      .reply(200, {})
      .post(`${R}/issues/7/labels`)
      .reply(200, []);

    await comment(probot, issueComment({ body: "/sync redis:7" }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(order).toEqual(["create received", "commit", "dispatch", "edit queued"]);
  });

  it("a redelivery that finds the request `received` resumes it in the same comment: no second commit, one dispatch, no second count; then it stops", async () => {
    // The limit counted from GitHub: a resumed request passed it already and is not judged again (no listing).
    const { probot, logs } = await testProbot(testDeps({ rateLimits: githubLimiter() }));
    const received = statusBody(requestState({ status: "received", images: ["redis:7"] }));
    const dispatches: any[] = [];
    let status = "";
    const scope = api();
    config(scope, `${CONFIG}policy:\n  requestsPerHour: 1\n`);
    comments(scope, 7, [{ id: 9001, body: received }]);
    // The first delivery committed before it stopped: the line is in images.txt.
    imagesFile(scope, "nginx:1.26\nredis:7\n", "sha-2");
    scope
      .get(`${R}/collaborators/maya/permission`)
      .reply(200, { permission: "admin", role_name: "admin", user: { login: "maya" } })
      .patch(`${R}/issues/comments/9001`, (b) => b.body.includes('"status":"received"'))
      .reply(200, {})
      .post(`${R}/actions/workflows/mirror.yml/dispatches`, (b) => (dispatches.push(b), true))
      .reply(200, { workflow_run_id: 6, run_url: "u", html_url: "https://github.com/x/runs/6" })
      .patch(`${R}/issues/comments/9001`, (b) => ((status = b.body), true))
      .reply(200, {})
      .post(`${R}/issues/7/labels`, { labels: ["mirror:queued"] })
      .reply(200, []);

    await comment(probot, issueComment({ body: "/sync redis:7" }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(dispatches.map((d) => d.inputs)).toEqual([{ images: "redis:7", request: "7-5001", force: "false" }]);
    expect(status).toContain("**Mirror request `7-5001` is queued.** Run: https://github.com/x/runs/6");
    expect(logs.find((l) => l.fields.reason === "resume")?.fields.request).toBe("7-5001");

    // Delivered once more: the comment now says queued, so nothing happens.
    const again = nock(API); // the installation token is cached by now
    config(again, `${CONFIG}policy:\n  requestsPerHour: 1\n`);
    comments(again, 7, [{ id: 9001, body: status }], true);
    await comment(probot, issueComment({ body: "/sync redis:7" }));
    expect(again.pendingMocks()).toEqual([]);
    expect(logs.filter((l) => l.fields.reason === "already-handled").map((l) => l.fields.request)).toEqual(["7-5001"]);
  });

  it("a redelivery that finds the request `queued` without a run id does not dispatch again", async () => {
    const { probot, logs } = await testProbot();
    const scope = api();
    config(scope);
    comments(scope, 7, [{ id: 9001, body: statusBody(requestState({ images: ["redis:7"], run: null })) }]);

    await comment(probot, issueComment({ body: "/sync redis:7" }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(logs.find((l) => l.fields.reason === "already-handled")?.fields.request).toBe("7-5001");
  });
});
