/** Which 403s are a missing permission or setting, and how each is named. */
import { describe, expect, it } from "vitest";
import { ACTIONS_PULL_REQUESTS_REFUSED, acceptedPermission, missingFor, setupProblem } from "../../src/app/github/setup-problem.js";

/** An Octokit RequestError's shape, as far as the classifier reads it. */
const refusal = (status: number, message: string, headers: Record<string, string> = {}) =>
  Object.assign(new Error(message), { status, response: { data: { message, documentation_url: "https://docs.github.com/rest", status: String(status) }, headers } });

describe("missingFor", () => {
  it("takes the permission from GitHub's x-accepted-github-permissions header, else the call's own", () => {
    expect(missingFor(refusal(403, "Resource not accessible by integration", { "x-accepted-github-permissions": "contents=write; workflows=write" }), "dispatch")).toEqual({
      kind: "permission",
      permission: "contents",
      level: "write",
    });
    expect(missingFor(refusal(403, "Resource not accessible by integration"), "artifact")).toEqual({ kind: "permission", permission: "actions", level: "read" });
  });

  it("recognizes the pull-request setting only on the pull-request call, by GitHub's whole message", () => {
    expect(missingFor(refusal(403, ACTIONS_PULL_REQUESTS_REFUSED), "pull-request")).toEqual({ kind: "setting", setting: "actions-pull-requests" });
    expect(missingFor(refusal(403, `${ACTIONS_PULL_REQUESTS_REFUSED} (quoted)`), "pull-request")).toMatchObject({ kind: "permission" });
    expect(missingFor(refusal(403, ACTIONS_PULL_REQUESTS_REFUSED), "commit")).toMatchObject({ kind: "permission", permission: "contents" });
  });

  it("is not fooled by a rate limit, another status, or a plain error", () => {
    expect(missingFor(refusal(403, "You have exceeded a secondary rate limit", { "retry-after": "60" }), "commit")).toBeNull();
    expect(missingFor(refusal(403, "API rate limit exceeded", { "x-ratelimit-remaining": "0" }), "commit")).toBeNull();
    expect(missingFor(refusal(404, "Not Found"), "dispatch")).toBeNull();
    expect(missingFor(new Error("socket hang up"), "dispatch")).toBeNull();
  });
});

describe("setupProblem", () => {
  it("names the job's permission line in Actions mode and the App permission when hosted", () => {
    const err = refusal(403, "Resource not accessible by integration", { "x-accepted-github-permissions": "pull_requests=write" });
    expect(setupProblem(err, "pull-request", "actions")!.fix).toBe("add `pull-requests: write` under `permissions:` of the `request` job in `.github/workflows/bot.yml`");
    expect(setupProblem(err, "pull-request", "app")!.what).toBe('the GitHub App lacks the "pull_requests" permission (write)');
  });

  it("reads only well-formed permission sets", () => {
    expect(acceptedPermission("actions=write")).toEqual({ kind: "permission", permission: "actions", level: "write" });
    expect(acceptedPermission("")).toBeNull();
    expect(acceptedPermission("admin")).toBeNull();
  });
});
