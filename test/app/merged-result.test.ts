/**
 * A sharded run's merged result.json through the app: the status comment, the label and
 * `/retry` behave exactly as for a single run's result, also when one shard was lost.
 */
import nock from "nock";
import { describe, expect, it } from "vitest";
import { mergeResults } from "../../src/engine/merge.js";
import type { Plan } from "../../src/engine/plan-file.js";
import { buildResult, type SyncResult, type TaskResult } from "../../src/engine/result.js";
import { issueComment, workflowRunCompleted } from "../fixtures/payloads.js";
import { api, blockNetwork, comments, config, launchComment, R, requestReads } from "./helpers/github.js";
import { testProbot } from "./helpers/probot.js";
import { requestState, statusBody } from "./helpers/state.js";
import { buildZip } from "./helpers/zip.js";

blockNetwork();

const RUN = 4242;
const RUN_URL = `https://github.com/Codertocat/Hello-World/actions/runs/${RUN}`;
const BLOB_HOST = "https://pipelines.actions.example.net";
const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;
const TARGET = "registry.cn-hangzhou.aliyuncs.com/mirror";

const queued = requestState({ images: ["redis:7", "nginx:1.26"], commit: "c0ffee", run: { id: RUN, url: RUN_URL } });

/** Request 7-5001 planned for two shards: redis:7 in shard 0, nginx:1.26 in shard 1. */
const plan: Plan = {
  version: 1,
  request: "7-5001",
  createdAt: "2026-12-02T10:00:00.000Z",
  force: false,
  tasks: ["redis:7", "nginx:1.26"].map((image, id) => ({
    id,
    line: null,
    source: `docker.io/library/${image}`,
    target: `${TARGET}/${image}`,
    targetName: "acr",
    platform: null,
    action: "copy" as const,
    sourceDigest: DIGEST,
    targetDigest: null,
    mediaType: "application/vnd.oci.image.index.v1+json",
    error: null,
    manifests: [],
    missingBytes: 41_234_567,
  })),
  seed: [],
  shards: [{ tasks: [0], bytes: 41_234_567 }, { tasks: [1], bytes: 41_234_567 }],
  stats: { uniqueBytes: 82_469_134, seedBytes: 0, duplicateBytes: 0, planningMs: 3 },
};

function copied(image: string): TaskResult {
  return {
    line: null, source: `docker.io/library/${image}`, target: `${TARGET}/${image}`, targetName: "acr", platform: null,
    status: "copied", sourceDigest: DIGEST, targetDigest: DIGEST, size: 41_234_567, bytes: 41_234_567, durationMs: 1200, error: null,
  };
}

const shard = (tasks: TaskResult[]): SyncResult => buildResult(tasks, { request: "7-5001", startedAt: new Date("2026-12-02T10:01:00Z"), finishedAt: new Date("2026-12-02T10:02:00Z") });

/** The run of request 7-5001 ends with `result` as its mirror-result artifact; the status comment's new body. */
async function reported(result: SyncResult, label: string, close: boolean): Promise<string> {
  const { probot } = await testProbot();
  let status = "";
  const scope = api();
  config(scope);
  comments(scope, 7, [{ id: 9001, body: statusBody(queued) }]);
  scope
    .get(`${R}/actions/runs/${RUN}/artifacts`)
    .query({ name: "mirror-result", per_page: "10" })
    .reply(200, { total_count: 1, artifacts: [{ id: 99, name: "mirror-result", expired: false }] })
    .get(`${R}/actions/artifacts/99/zip`)
    .reply(302, "", { location: `${BLOB_HOST}/artifact/99.zip?sig=abc` });
  nock(BLOB_HOST).get("/artifact/99.zip").query({ sig: "abc" }).reply(200, buildZip({ "result.json": JSON.stringify(result) }), { "content-type": "application/zip" });
  scope
    .get(`${R}/issues/7`)
    .reply(200, { number: 7, state: "open", labels: [{ name: "mirror:queued" }] })
    .patch(`${R}/issues/comments/9001`, (b) => ((status = b.body), true))
    .reply(200, {})
    .delete(`${R}/issues/7/labels/mirror%3Aqueued`)
    .reply(200, [])
    .post(`${R}/issues/7/labels`, { labels: [label] })
    .reply(200, []);
  if (close) scope.patch(`${R}/issues/7`, { state: "closed", state_reason: "completed" }).reply(200, {});
  await probot.receive({ id: "r1", name: "workflow_run", payload: workflowRunCompleted({ runId: RUN, title: "mirror 7-5001", conclusion: close ? "success" : "failure" }) as any });
  expect(scope.pendingMocks()).toEqual([]);
  return status;
}

describe("a merged result of a sharded run", () => {
  it("reads like a single run's: the same table, label done, issue closed", async () => {
    const merged = mergeResults(plan, [{ name: "result-0.json", result: shard([copied("redis:7")]) }, { name: "result-1.json", result: shard([copied("nginx:1.26")]) }]);
    const single = buildResult([copied("redis:7"), copied("nginx:1.26")], { request: "7-5001", startedAt: new Date(0), finishedAt: new Date(1) });
    const fromMerged = await reported(merged, "mirror:done", true);
    const fromSingle = await reported(single, "mirror:done", true);
    expect(fromMerged).toBe(fromSingle);
    expect(fromMerged).toContain('"status":"done"');
  });

  it("names the image of a lost shard as failed, and /retry dispatches exactly it", async () => {
    const merged = mergeResults(plan, [{ name: "result-0.json", result: shard([copied("redis:7")]) }]);
    const status = await reported(merged, "mirror:failed", false);
    expect(status).toContain('"failed":["nginx:1.26"]');
    expect(status).toContain(`- \`nginx:1.26\` to \`${TARGET}/nginx:1.26\`: \`not run: shard 1 reported no result (its job failed or was cancelled before writing one)\``);
    expect(status).toContain("Comment `/retry` to try the failed images again.");

    const { probot } = await testProbot();
    let dispatched: any;
    const scope = api();
    requestReads(scope, { issue: 7, comments: [{ id: 9001, body: status }], images: "nginx:1.26\nredis:7\n", sha: "sha-9", login: "maya", role: "admin" });
    scope
      .post(`${R}/actions/workflows/mirror.yml/dispatches`, (b) => ((dispatched = b), true))
      .reply(200, { workflow_run_id: 4343, run_url: "u", html_url: "https://github.com/x/runs/4343" })
      .delete(`${R}/issues/7/labels/mirror%3Afailed`)
      .reply(200, [])
      .post(`${R}/issues/7/labels`, { labels: ["mirror:queued"] })
      .reply(200, []);
    launchComment(scope, 7, 9002, () => undefined);
    await probot.receive({ id: "r5", name: "issue_comment", payload: issueComment({ body: "/retry", commentId: 5003, labels: ["mirror:failed"] }) as any });
    expect(scope.pendingMocks()).toEqual([]);
    expect(dispatched.inputs).toEqual({ images: "nginx:1.26", request: "7-5003", force: "false" });
  });
});
