/** The GitHub I/O helpers on their own, against nock. */
import nock from "nock";
import { ProbotOctokit } from "probot";
import { beforeEach, describe, expect, it } from "vitest";
import { downloadResult } from "../../../src/app/github/artifact.js";
import type { Octokit } from "../../../src/app/github/client.js";
import { dispatchWorkflow } from "../../../src/app/github/dispatch.js";
import { backoffMs, commitLines, CommitConflictError, CommitRefusedError } from "../../../src/app/github/images-file.js";
import { setStatusLabel } from "../../../src/app/github/labels.js";
import { getRole, permits } from "../../../src/app/github/permission.js";
import { blockNetwork, fileBody, R } from "../helpers/github.js";
import { API } from "../helpers/probot.js";
import { buildZip } from "../helpers/zip.js";

const repo = { owner: "Codertocat", repo: "Hello-World" };
let octokit: Octokit;

blockNetwork();
beforeEach(() => {
  const Client = ProbotOctokit.defaults((o: Record<string, unknown>) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } }));
  octokit = new Client({ auth: { token: "t" } }) as Octokit;
});

describe("getRole", () => {
  it("tells maintain and triage apart by role_name, falls back for custom roles, 404 is none", async () => {
    const scope = nock(API)
      .get(`${R}/collaborators/a/permission`)
      .reply(200, { permission: "write", role_name: "maintain" })
      .get(`${R}/collaborators/b/permission`)
      .reply(200, { permission: "read", role_name: "triage" })
      .get(`${R}/collaborators/c/permission`)
      .reply(200, { permission: "write", role_name: "release-manager" })
      .get(`${R}/collaborators/d/permission`)
      .reply(404, { message: "Not Found" });
    expect(await Promise.all(["a", "b", "c", "d"].map((u) => getRole(octokit, repo, u)))).toEqual(["maintain", "triage", "write", "none"]);
    expect(scope.isDone()).toBe(true);
    expect([permits("maintain", "write"), permits("triage", "write"), permits("admin", "maintain"), permits("none", "read")]).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });
});

describe("commitLines", () => {
  it("gives up after the allowed attempts when every commit conflicts", async () => {
    const scope = nock(API)
      .get(`${R}/contents/images.txt`)
      .query({ ref: "master" })
      .times(2)
      .reply(200, fileBody("images.txt", "", "s"))
      .put(`${R}/contents/images.txt`)
      .times(2)
      .reply(409, { message: "images.txt does not match s" });
    await expect(
      commitLines(octokit, repo, { path: "images.txt", branch: "master", lines: ["redis:7"], message: () => "m", attempts: 2 }),
    ).rejects.toThrow(new CommitConflictError("images.txt on master kept changing; gave up after 2 attempts"));
    expect(scope.isDone()).toBe(true);
  });

  it("pauses a short, jittered, growing time before each retry of a real conflict (409 stale sha, 422 branch moved)", async () => {
    const sleeps: number[] = [];
    const scope = nock(API)
      .get(`${R}/contents/images.txt`)
      .query({ ref: "master" })
      .times(3)
      .reply(200, fileBody("images.txt", "", "s"))
      .put(`${R}/contents/images.txt`)
      .reply(409, { message: "images.txt does not match s" })
      .put(`${R}/contents/images.txt`)
      .reply(422, { message: "Reference update failed: refs/heads/master is at 1a2b3c but expected 4d5e6f" })
      .put(`${R}/contents/images.txt`)
      .reply(201, { commit: { sha: "2", html_url: "u2" } });
    const sleep = async (ms: number) => void sleeps.push(ms);
    const result = await commitLines(octokit, repo, { path: "images.txt", branch: "master", lines: ["redis:7"], message: () => "m", attempts: 4, sleep });
    expect(result.commit).toEqual({ sha: "2", url: "u2" });
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(0);
    expect(sleeps[0]).toBeLessThan(1000);
    expect(sleeps[1]).toBeLessThan(2000);
    expect([backoffMs(1, () => 0.999), backoffMs(2, () => 0.5), backoffMs(3, () => 0), backoffMs(9, () => 0.5)]).toEqual([999, 1000, 0, 8000]);
  });

  it("stops at once when the branch refuses the commit (protection or a ruleset), with GitHub's message", async () => {
    const sleeps: number[] = [];
    const scope = nock(API)
      .get(`${R}/contents/images.txt`)
      .query({ ref: "master" })
      .reply(200, fileBody("images.txt", "", "s"))
      .put(`${R}/contents/images.txt`)
      .once()
      .reply(422, { message: "Protected branch update failed for refs/heads/master.\n\nChanges must be made through a pull request." });
    const attempt = commitLines(octokit, repo, {
      path: "images.txt",
      branch: "master",
      lines: ["redis:7"],
      message: () => "m",
      attempts: 4,
      sleep: async (ms) => void sleeps.push(ms),
    });
    await expect(attempt).rejects.toThrow(
      new CommitRefusedError("images.txt could not be committed: Protected branch update failed for refs/heads/master. Changes must be made through a pull request"),
    );
    expect(scope.isDone()).toBe(true);
    expect(sleeps).toEqual([]);
  });

  it("creates a missing file without a sha, and commits nothing when every line is present", async () => {
    let put: any;
    const scope = nock(API)
      .get(`${R}/contents/images.txt`)
      .query({ ref: "master" })
      .reply(404, { message: "Not Found" })
      .put(`${R}/contents/images.txt`, (b) => ((put = b), true))
      .reply(201, { commit: { sha: "1", html_url: "u" } })
      .get(`${R}/contents/images.txt`)
      .query({ ref: "master" })
      .reply(200, fileBody("images.txt", "docker.io/library/redis:7\n", "s"));
    const options = { path: "images.txt", branch: "master", lines: ["redis:7"], message: () => "m", attempts: 2 };
    expect(await commitLines(octokit, repo, options)).toEqual({ added: ["redis:7"], commit: { sha: "1", url: "u" } });
    expect(put.sha).toBeUndefined();
    expect(await commitLines(octokit, repo, options)).toEqual({ added: [], commit: null });
    expect(scope.isDone()).toBe(true);
  });
});

describe("dispatchWorkflow", () => {
  const search = { attempts: 2, intervalMs: 0, sleep: async () => {} };
  const options = { workflow: "mirror.yml", ref: "main", inputs: { images: "a:1", request: "1-2", force: true }, search };

  it("never dispatches twice: a 200 without run details falls back to searching", async () => {
    const scope = nock(API)
      .post(`${R}/actions/workflows/mirror.yml/dispatches`)
      .once()
      .reply(200, { unexpected: true })
      .get(`${R}/actions/workflows/mirror.yml/runs`)
      .query(true)
      .times(2)
      .reply(200, { workflow_runs: [{ id: 5, display_title: "mirror 1-20", html_url: "x" }] });
    expect(await dispatchWorkflow(octokit, repo, options)).toBeNull();
    expect(scope.isDone()).toBe(true);
  });

  it("does not dispatch again after a server error, and fails once no run turns up", async () => {
    const scope = nock(API)
      .post(`${R}/actions/workflows/mirror.yml/dispatches`)
      .once()
      .reply(500, { message: "boom" })
      .get(`${R}/actions/workflows/mirror.yml/runs`)
      .query(true)
      .times(2)
      .reply(200, { workflow_runs: [] });
    await expect(dispatchWorkflow(octokit, repo, options)).rejects.toMatchObject({ status: 500 });
    expect(scope.isDone()).toBe(true);
  });

  it("adopts the run a dispatch created before the server failed to answer", async () => {
    let accepted = false;
    const scope = nock(API)
      .post(`${R}/actions/workflows/mirror.yml/dispatches`)
      .once()
      .reply(502, "Bad Gateway")
      .get(`${R}/actions/workflows/mirror.yml/runs`)
      .query(true)
      .reply(200, { workflow_runs: [{ id: 7, display_title: "mirror 1-2", html_url: "https://github.com/x/runs/7" }] });
    const run = await dispatchWorkflow(octokit, repo, { ...options, onAccepted: async () => void (accepted = true) });
    expect([run, accepted]).toEqual([{ id: 7, url: "https://github.com/x/runs/7" }, true]);
    expect(scope.isDone()).toBe(true);
  });
});

describe("downloadResult", () => {
  function artifactScope(zip: Buffer) {
    return nock(API)
      .get(`${R}/actions/runs/9/artifacts`)
      .query(true)
      .reply(200, { artifacts: [{ id: 3, name: "mirror-result", expired: false }] })
      .get(`${R}/actions/artifacts/3/zip`)
      .reply(200, zip, { "content-type": "application/zip" });
  }

  it("says why a result cannot be used", async () => {
    artifactScope(buildZip({ "result.json": "{not json" }));
    expect(await downloadResult(octokit, repo, 9)).toEqual({ kind: "invalid", reason: "result.json is not JSON" });
    artifactScope(buildZip({ "other.txt": "x" }));
    expect(await downloadResult(octokit, repo, 9)).toEqual({ kind: "invalid", reason: "the mirror-result artifact has no result.json" });
    artifactScope(buildZip({ "result.json": JSON.stringify({ version: 2 }) }));
    const invalid = await downloadResult(octokit, repo, 9);
    expect(invalid.kind === "invalid" && invalid.reason).toMatch(/^result\.json does not match the result schema: /);
  });

  it("refuses a result with too many tasks before validating it, and names only a few schema problems", async () => {
    // A few kB of zip could otherwise hold millions of entries, each with a dozen problems.
    artifactScope(buildZip({ "result.json": JSON.stringify({ version: 1, tasks: Array.from({ length: 10_001 }, () => ({})) }) }));
    expect(await downloadResult(octokit, repo, 9)).toEqual({ kind: "invalid", reason: "result.json lists 10001 tasks; at most 10000 are read" });
    artifactScope(buildZip({ "result.json": JSON.stringify({ version: 1, tasks: Array.from({ length: 50 }, () => ({})) }) }));
    const invalid = await downloadResult(octokit, repo, 9);
    expect(invalid.kind === "invalid" && invalid.reason).toMatch(/^result\.json does not match the result schema: [^;]+; [^;]+; [^;]+ \(and \d+ more\)$/);
  });
});

describe("setStatusLabel", () => {
  it("removes only other status labels present, tolerates one already gone, keeps the rest", async () => {
    const scope = nock(API)
      .delete(`${R}/issues/4/labels/mirror%3Aqueued`)
      .reply(404, { message: "Label does not exist" })
      .post(`${R}/issues/4/labels`, { labels: ["mirror:done"] })
      .reply(200, []);
    await setStatusLabel(octokit, repo, 4, "mirror:done", ["bug", "mirror", "mirror:queued"]);
    expect(scope.isDone()).toBe(true);
  });
});
