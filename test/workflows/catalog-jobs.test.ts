/**
 * The catalogue's jobs in mirror.yml: what they need, what they may do, and the real
 * "Download recent runs' results" script run against a stand-in `gh`.
 */
import { spawnSync } from "node:child_process";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { usage } from "../../src/cli/catalog.js";

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  environment?: unknown;
  outputs?: Record<string, string>;
  "continue-on-error"?: boolean;
  steps: Step[];
}
interface Workflow {
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

let doc: Workflow;
beforeAll(async () => {
  doc = parse(await readFile(new URL("../../.github/workflows/mirror.yml", import.meta.url), "utf8")) as Workflow;
});

describe("mirror.yml catalogue jobs", () => {
  it("build after every job that uploads the run's mirror-result (one job, or the shards' merge), on the default branch only", () => {
    const catalog = doc.jobs.catalog!;
    const needs = [catalog.needs].flat();
    const producers = Object.entries(doc.jobs)
      .filter(([, job]) => job.steps?.some((s) => s.uses?.startsWith("actions/upload-artifact@") && s.with?.name === "mirror-result"))
      .map(([name]) => name);
    expect(producers.sort()).toEqual(["merge", "mirror"]);
    expect(producers.every((p) => needs.includes(p))).toBe(true);
    expect(catalog.if).toContain("always()");
    expect(catalog.if).toContain("github.ref_name == github.event.repository.default_branch");
  });

  it("give Pages' permissions to the deploy job alone, and the build job only read access", () => {
    expect(doc.permissions).toEqual({ contents: "read", "pull-requests": "read" });
    expect(doc.jobs.pages!.permissions).toEqual({ pages: "write", "id-token": "write" });
    expect(doc.jobs.catalog!.permissions).toEqual({ contents: "read", actions: "read" });
    for (const [name, job] of Object.entries(doc.jobs)) {
      if (name === "pages") continue;
      expect(Object.keys(job.permissions ?? {}), name).not.toContain("pages");
      expect(Object.keys(job.permissions ?? {}), name).not.toContain("id-token");
    }
  });

  it("publish with the official Pages actions, one build and one deploy at a time, never cancelled", () => {
    const { catalog, pages } = doc.jobs;
    expect(catalog!.steps.at(-1)).toEqual({ uses: "actions/upload-pages-artifact@v3", if: "steps.build.outputs.built == 'true'", with: { path: "site" } });
    expect(pages!.needs).toBe("catalog");
    expect(pages!.if).toBe("needs.catalog.outputs.built == 'true'");
    expect(pages!.steps.map((s) => s.uses)).toEqual(["actions/configure-pages@v5", "actions/deploy-pages@v4"]);
    expect(pages!.environment).toEqual({ name: "github-pages", url: "${{ steps.deployment.outputs.page_url }}" });
    expect(catalog!.concurrency).toEqual({ group: "mirrorbot-catalog", "cancel-in-progress": false });
    expect(pages!.concurrency).toEqual({ group: "mirrorbot-pages", "cancel-in-progress": false });
    // A fork without Pages turned on must not see its mirror runs fail.
    expect(pages!["continue-on-error"]).toBe(true);
  });

  it("call mirrorbot catalog with options it has", () => {
    const runs = doc.jobs.catalog!.steps.map((s) => s.run ?? "").join("\n");
    expect(runs).toContain("npx mirrorbot catalog --decide --visibility");
    expect(runs).toContain("npx mirrorbot catalog --results results --previous-from-pages --skip-invalid --out site");
    for (const flag of ["--decide", "--visibility", "--results", "--previous-from-pages", "--skip-invalid", "--out"]) expect(usage).toContain(flag);
  });
});

describe("mirror.yml: Download recent runs' results", () => {
  let dir: string;
  let script: string;

  beforeAll(async () => {
    const step = doc.jobs.catalog!.steps.find((s) => s.name === "Download recent runs' results");
    if (step?.run === undefined) throw new Error("no step named Download recent runs' results");
    script = step.run;
    dir = await mkdtemp(join(tmpdir(), "mirrorbot-catalog-jobs-"));
    // A stand-in gh: the repository's default branch, the artifact list through the --jq filter
    // it was given (as gh does), and run downloads that write a result file (or fail for run 13).
    await writeFile(
      join(dir, "gh"),
      [
        "#!/bin/sh",
        'echo "$*" >> "$GH_LOG"',
        'case "$1 $2" in',
        '  "api repos/octo/mirror") echo main ;;',
        '  "api repos/octo/mirror/actions/artifacts?name=mirror-result&per_page=100") printf "%s" "$GH_ARTIFACTS" | jq -r "$4" ;;',
        '  "run download") [ "$3" = 13 ] && exit 1; mkdir -p "$7" && echo "{\\"run\\": $3}" > "$7/result.json" ;;',
        "  *) echo \"unexpected gh $*\" >&2; exit 2 ;;",
        "esac",
        "",
      ].join("\n"),
    );
    await chmod(join(dir, "gh"), 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("downloads the default branch's unexpired results of this repository, other than this run's", async () => {
    const artifact = (run: number, fields: { branch?: string; fork?: boolean; expired?: boolean } = {}) => ({
      id: run * 10,
      name: "mirror-result",
      expired: fields.expired ?? false,
      workflow_run: { id: run, repository_id: 1, head_repository_id: fields.fork ? 2 : 1, head_branch: fields.branch ?? "main" },
    });
    const artifacts = [artifact(12), artifact(11), artifact(10, { branch: "feature" }), artifact(9, { fork: true }), artifact(8, { expired: true }), artifact(7), artifact(13), artifact(20)];
    const work = await mkdtemp(join(dir, "w-"));
    const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
      cwd: work,
      encoding: "utf8",
      timeout: 20_000,
      env: {
        PATH: `${dir}:${process.env.PATH ?? "/usr/bin:/bin"}`,
        GH_TOKEN: "test-token",
        GH_LOG: join(dir, "gh.log"),
        GH_ARTIFACTS: JSON.stringify({ total_count: artifacts.length, artifacts }),
        GITHUB_REPOSITORY: "octo/mirror",
        GITHUB_RUN_ID: "20",
      },
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect((await readdir(join(work, "results"))).sort()).toEqual(["11", "12", "7"]);
    expect(r.stdout).toBe("::warning::could not download the result of run 13; the next build will try again\nResults of 3 run(s) to merge.\n");
  });
});
