/**
 * Tag sets in the bot: `/sync` with a rule, from a maintainer and from the community (pull
 * request, then `/approve`), a rule over `policy.maxTagsPerRule`, a tag that does not exist
 * (did you mean), and the pull request check. GitHub is nock; the source registry is a real
 * distribution on 127.0.0.1 holding the tags.
 */
import type nock from "nock";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { COMMUNITY, issueComment, MAINTAINER, pullRequestEvent } from "../fixtures/payloads.js";
import { seedImages } from "../harness/oci-image.js";
import { addTags } from "../harness/paging-proxy.js";
import { type RunningRegistry, startRegistry } from "../harness/registry.js";
import { api, blockNetwork, comments, CONFIG, config, decoded, expectQueued, imagesFile, mergedPull, permission, R } from "./helpers/github.js";
import { testProbot } from "./helpers/probot.js";

blockNetwork("127\\.0\\.0\\.1");

// Real registries on a machine shared with other suites: generous bounds, never a timing assertion.
vi.setConfig({ testTimeout: 120_000 });
const TIMEOUT = 120_000;
let source: RunningRegistry;
let host: string;
let configText: string;

beforeAll(async () => {
  source = await startRegistry();
  host = source.host;
  configText = `${CONFIG}sources:\n  - registry: "${host}"\n    tlsVerify: false\npolicy:\n  maxTagsPerRule: 5\n`;
  const tiny = [{ os: "linux", architecture: "amd64", layers: [{ seed: "app-tagsets", size: 1_000 }] }];
  await seedImages(source, [
    { repo: "library/nginx", tag: "latest", platforms: tiny },
    { repo: "jenkins/jenkins", tag: "lts", platforms: tiny },
  ]);
  await addTags(source.url, "library/nginx", "latest", ["1.26.0", "1.26.1", "1.26.2", "1.26.3", "v1.26.3", "1.27.0", "1.27.1", "1.27.2", "1.27.3-alpine", "1.28.0-rc1"]);
  await addTags(source.url, "jenkins/jenkins", "lts", ["2.346", "2.346.1", "2.345", "2.361"]);
}, TIMEOUT);

afterAll(async () => {
  await source?.stop();
});

/** What the app reads before it judges a `/sync` on issue 7. */
function reads(scope: nock.Scope, images: string, login: string, role: string | null): void {
  config(scope, configText);
  comments(scope, 7);
  imagesFile(scope, images, "sha-1");
  // A refused request is refused before anyone's permission is asked.
  if (role !== null) permission(scope, login, role);
}

async function receive(probot: Awaited<ReturnType<typeof testProbot>>["probot"], body: string, sender = MAINTAINER): Promise<void> {
  await probot.receive({ id: "d1", name: "issue_comment", payload: issueComment({ body, sender }) as any });
}

/** The status comment without its two hidden lines. */
const visible = (body: string) => body.split("\n").slice(2).join("\n");

describe("/sync with a tag set", () => {
  it("from a maintainer: commits the rule itself, dispatches it, and replies with the matched tags and their pull addresses", async () => {
    const { probot } = await testProbot();
    const bodies: Record<string, any> = {};
    const scope = api();
    reads(scope, "nginx:1.26\n", MAINTAINER.login, "maintain");
    imagesFile(scope, "nginx:1.26\n", "sha-1");
    scope.put(`${R}/contents/images.txt`, (b) => ((bodies.put = b), true)).reply(201, { commit: { sha: "c0ffee", html_url: "x" } });
    expectQueued(scope, { issue: 7, runId: 77, commentId: 9001 }, { dispatch: (b) => (bodies.dispatch = b), comment: (b) => (bodies.comment = b) });

    await receive(probot, `/sync ${host}/library/nginx:{semver ~1.27, !*-alpine}`);

    expect(scope.pendingMocks()).toEqual([]);
    expect(decoded(bodies.put)).toBe(`nginx:1.26\n${host}/library/nginx:{semver ~1.27, !*-alpine}\n`);
    expect(bodies.dispatch.inputs.images).toBe(`${host}/library/nginx:{semver ~1.27, !*-alpine}`);
    const target = "registry.cn-hangzhou.aliyuncs.com/mirror/library_nginx";
    expect(visible(bodies.comment)).toBe(
      [
        "**Mirror request `7-5001` is queued.** Run: https://github.com/x/runs/77",
        "",
        `\`${host}/library/nginx:{semver ~1.27, !*-alpine}\` matches 3 tags: \`1.27.2\`, \`1.27.1\`, \`1.27.0\`.`,
        "",
        "| Image | Will be available as |",
        "| --- | --- |",
        `| \`${host}/library/nginx:1.27.2\` | \`${target}:1.27.2\` |`,
        `| \`${host}/library/nginx:1.27.1\` | \`${target}:1.27.1\` |`,
        `| \`${host}/library/nginx:1.27.0\` | \`${target}:1.27.0\` |`,
      ].join("\n"),
    );
  });

  it("over policy.maxTagsPerRule: rejected with the count and the first matches, nothing written", async () => {
    const { probot } = await testProbot();
    let status = "";
    const scope = api();
    reads(scope, "", MAINTAINER.login, null);
    scope.post(`${R}/issues/7/comments`, (b) => ((status = b.body), true)).reply(201, { id: 9002 });

    await receive(probot, `/sync ${host}/library/nginx:{*}`);

    expect(scope.pendingMocks()).toEqual([]);
    expect(visible(status)).toBe(
      [
        "**Mirror request `7-5001` was not accepted.** Nothing was committed and nothing was started.",
        "",
        "@maya, please fix this problem and ask again:",
        "",
        `- \`${host}/library/nginx:{*}\`: \`${host}/library/nginx:{*}\` matches 11 tags, more than policy.maxTagsPerRule (5) in .github/mirrorbot.yml: 1.28.0-rc1, 1.27.3-alpine, 1.27.2, 1.27.1, 1.27.0, …; narrow the set (e.g. add \`latest 5\`) or raise the limit`,
      ].join("\n"),
    );
  });

  it("a tag that does not exist: rejected with the closest existing tags (jenkins:v2.346 -> 2.346)", async () => {
    const { probot } = await testProbot();
    let status = "";
    const scope = api();
    reads(scope, "", MAINTAINER.login, null);
    scope.post(`${R}/issues/7/comments`, (b) => ((status = b.body), true)).reply(201, { id: 9003 });

    await receive(probot, `/sync ${host}/jenkins/jenkins:v2.346 ${host}/library/nginx:{semver ^2}`);

    expect(scope.pendingMocks()).toEqual([]);
    expect(visible(status)).toBe(
      [
        "**Mirror request `7-5001` was not accepted.** Nothing was committed and nothing was started.",
        "",
        "@maya, please fix these problems and ask again:",
        "",
        `- \`${host}/library/nginx:{semver ^2}\`: matches none of the 11 tags of ${host}/library/nginx`,
        `- \`${host}/jenkins/jenkins:v2.346\`: ${host}/jenkins/jenkins has no tag \`v2.346\`; did you mean \`2.346\`, \`2.345\`, \`2.361\`?`,
      ].join("\n"),
    );
  });
});

describe("a community tag set", () => {
  const REQUEST = "7-5001";
  const BRANCH = `mirrorbot/request-${REQUEST}`;

  async function propose(): Promise<{ status: string; bodies: Record<string, any> }> {
    const rule = `${host}/library/nginx:{semver ~1.26, !v*, latest 2}`;
    const { probot } = await testProbot();
    const bodies: Record<string, any> = {};
    const scope = api();
    reads(scope, "", COMMUNITY.login, "read");
    scope
      .get(`${R}/git/ref/heads%2Fmaster`)
      .reply(200, { ref: "refs/heads/master", object: { sha: "base-sha", type: "commit" } })
      .post(`${R}/git/refs`)
      .reply(201, {});
    imagesFile(scope, "", "sha-1", BRANCH);
    scope
      .put(`${R}/contents/images.txt`, (b) => ((bodies.put = b), true))
      .reply(201, { commit: { sha: "branch-commit", html_url: "x" } })
      .post(`${R}/pulls`, (b) => ((bodies.pull = b), true))
      .reply(201, { number: 21, html_url: "https://github.com/Codertocat/Hello-World/pull/21" })
      .post(`${R}/issues/7/comments`, (b) => ((bodies.comment = b.body), true))
      .reply(201, { id: 9100 })
      .post(`${R}/issues/7/labels`, { labels: ["mirror:awaiting-approval"] })
      .reply(200, []);

    await receive(probot, `/sync ${rule}`, COMMUNITY);

    expect(scope.pendingMocks()).toEqual([]);
    return { status: bodies.comment, bodies };
  }

  it("goes into a pull request adding the rule, and the reply shows what it matches now", async () => {
    const rule = `${host}/library/nginx:{semver ~1.26, !v*, latest 2}`;
    const { status, bodies } = await propose();
    expect(decoded(bodies.put)).toBe(`${rule}\n`);
    expect(bodies.pull.title).toBe(`Mirror ${rule}`);
    const target = "registry.cn-hangzhou.aliyuncs.com/mirror/library_nginx";
    expect(visible(status)).toBe(
      [
        "**Mirror request `7-5001` is waiting for approval.**",
        "",
        "@carl, thanks! The images are proposed in https://github.com/Codertocat/Hello-World/pull/21. A maintainer can merge that pull request, or comment `/approve` here, to start mirroring.",
        "",
        `\`${rule}\` matches 2 tags: \`1.26.3\`, \`1.26.2\`.`,
        "",
        "| Image | Will be available as |",
        "| --- | --- |",
        `| \`${host}/library/nginx:1.26.3\` | \`${target}:1.26.3\` |`,
        `| \`${host}/library/nginx:1.26.2\` | \`${target}:1.26.2\` |`,
      ].join("\n"),
    );
  });

  it("then /approve expands it again, commits the rule and dispatches it", async () => {
    const rule = `${host}/library/nginx:{semver ~1.26, !v*, latest 2}`;
    const { status } = await propose();
    const { probot } = await testProbot();
    const bodies: Record<string, any> = {};
    const scope = api();
    config(scope, configText);
    permission(scope, MAINTAINER.login, "maintain");
    comments(scope, 7, [{ id: 9100, body: status }]);
    imagesFile(scope, "", "sha-5");
    imagesFile(scope, "", "sha-5");
    scope
      .put(`${R}/contents/images.txt`, (b) => ((bodies.put = b), true))
      .reply(201, { commit: { sha: "d00d", html_url: "https://github.com/Codertocat/Hello-World/commit/d00d" } })
      .post(`${R}/issues/21/comments`)
      .reply(201, { id: 1 })
      .patch(`${R}/pulls/21`, { state: "closed" })
      .reply(200, {})
      .post(`${R}/actions/workflows/mirror.yml/dispatches`, (b) => ((bodies.dispatch = b), true))
      .reply(200, { workflow_run_id: 55, run_url: "u", html_url: "https://github.com/x/runs/55" })
      .patch(`${R}/issues/comments/9100`, (b) => b.body.includes('"status":"received"'))
      .reply(200, {})
      .patch(`${R}/issues/comments/9100`, (b) => ((bodies.status = b.body), true))
      .reply(200, {})
      .delete(`${R}/issues/7/labels/mirror%3Aawaiting-approval`)
      .reply(200, [])
      .post(`${R}/issues/7/labels`, { labels: ["mirror:queued"] })
      .reply(200, []);

    await probot.receive({ id: "d2", name: "issue_comment", payload: issueComment({ body: "/approve", commentId: 5002, labels: ["mirror", "mirror:awaiting-approval"] }) as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(decoded(bodies.put)).toBe(`${rule}\n`);
    expect(bodies.dispatch.inputs).toEqual({ images: rule, request: REQUEST, force: "false" });
    expect(bodies.status).toContain(`\`${rule}\` matches 2 tags: \`1.26.3\`, \`1.26.2\`.`);
  });
});

describe("a merged pull request adding a tag set", () => {
  it("dispatches the set itself and the status comment shows what it matches", async () => {
    const rule = `${host}/library/nginx:{semver ~1.26, !v*, latest 2}`;
    const { probot } = await testProbot();
    const bodies: Record<string, any> = {};
    const scope = api();
    config(scope, configText);
    comments(scope, 20);
    mergedPull(scope, 20, { adds: [rule], merged: `nginx:1.26\n${rule}\n` });
    expectQueued(scope, { issue: 20, runId: 800, commentId: 1 }, { dispatch: (b) => (bodies.dispatch = b), comment: (b) => (bodies.comment = b) });

    const payload = pullRequestEvent({ action: "closed", number: 20, id: 800, merged: true, author: COMMUNITY, sender: MAINTAINER });
    await probot.receive({ id: "d-800", name: "pull_request", payload: payload as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(bodies.dispatch.inputs.images).toBe(rule);
    expect(bodies.comment).toContain(`\`${rule}\` matches 2 tags: \`1.26.3\`, \`1.26.2\`.`);
  });
});

describe("the pull request check", () => {
  it("annotates a tag set over the cap and one that matches nothing", async () => {
    const { probot } = await testProbot();
    let check: any;
    const scope = api();
    config(scope, configText);
    scope
      .get(`${R}/pulls/20/files`)
      .query({ per_page: "100" })
      .reply(200, [{ filename: "images.txt", status: "modified" }]);
    imagesFile(scope, `nginx:1.26\n${host}/library/nginx:{1.2*}\n${host}/jenkins/jenkins:{semver ^3}\n${host}/jenkins/jenkins:{2.34*}\n`, "blob-head", "a".repeat(40));
    imagesFile(scope, "nginx:1.26\n", "blob-base", "b".repeat(40));
    scope.post(`${R}/check-runs`, (b) => ((check = b), true)).reply(201, { id: 1 });

    await probot.receive({ id: "d3", name: "pull_request", payload: pullRequestEvent({ action: "opened", number: 20 }) as any });

    expect(scope.pendingMocks()).toEqual([]);
    expect(check).toMatchObject({ conclusion: "failure" });
    expect(check.output.title).toBe("1 error in images.txt");
    expect(check.output.annotations.map((a: any) => [a.start_line, a.annotation_level, a.message])).toEqual([
      [2, "failure", `"${host}/library/nginx:{1.2*}" matches 9 tags, more than policy.maxTagsPerRule (5) in .github/mirrorbot.yml: 1.28.0-rc1, 1.27.3-alpine, 1.27.2, 1.27.1, 1.27.0, …; narrow the set (e.g. add "latest 5") or raise the limit`],
      [3, "warning", `"${host}/jenkins/jenkins:{semver ^3}" matches none of the 5 tags of ${host}/jenkins/jenkins`],
    ]);
  });
});
