/**
 * The hosted app meets the same refusals as Actions mode when its installation lacks a
 * permission: the requester is told what happened and whether `/retry` helps, nothing is
 * left half-written, and the event fails (an error in the app's log) instead of passing.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RequestState } from "../../src/app/state.js";
import { SetupProblem } from "../../src/app/github/setup-problem.js";
import { COMMUNITY, DEFAULT_BRANCH, issueComment, MAINTAINER } from "../fixtures/payloads.js";
import { FakeGitHub, type Permissions } from "../actions/helpers/fake-github.js";
import { testProbot } from "./helpers/probot.js";
import { mirrorRepo } from "../actions/helpers/mirror-repo.js";

let fake: FakeGitHub | null = null;
beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  fake?.stop();
  fake = null;
  nock.cleanAll();
  nock.enableNetConnect();
});

/** The fake answers the installation token exchange with this token. */
const INSTALLATION_TOKEN = "ghs_installation";
const ALL: Permissions = { contents: "write", issues: "write", pull_requests: "write", actions: "write" };

function github(permissions: Permissions): FakeGitHub {
  fake = mirrorRepo({ actor: "mirrorbot[bot]", tokens: { [INSTALLATION_TOKEN]: permissions } });
  return fake;
}

const stateOf = (body: string) => JSON.parse(/<!-- mirrorbot:state (\{.*?\}) -->/.exec(body)![1]!) as RequestState;
const visible = (body: string) => body.split("\n").slice(2).join("\n");

/** Deliver a comment; resolves to the errors the handlers threw (Probot's AggregateError), if any. */
async function deliver(body: string, sender = MAINTAINER): Promise<unknown[]> {
  const { probot } = await testProbot();
  const payload = issueComment({ body, sender });
  payload.comment.created_at = new Date().toISOString();
  try {
    await probot.receive({ id: "d1", name: "issue_comment", payload: payload as any });
    return [];
  } catch (err) {
    return err instanceof AggregateError ? err.errors : [err];
  }
}

describe("the hosted app without a permission it needs", () => {
  it("without Actions (write): the line is committed, the requester told it was not started and that /retry helps once granted; the event fails", async () => {
    const { actions: _, ...rest } = ALL;
    const gh = github(rest);

    const errors = await deliver("/sync redis:7");

    expect(errors.map((e) => (e as Error).message)).toEqual(['starting the mirror workflow failed: the GitHub App lacks the "actions" permission (write)']);
    expect(errors[0]).toBeInstanceOf(SetupProblem);
    const sha = gh.heads.get(DEFAULT_BRANCH)!.slice(0, 7);
    expect(visible(gh.comments[0]!.body)).toBe(
      "**Mirror request `7-5001` was recorded but not started:** starting the mirror workflow failed because the GitHub App lacks the `actions` permission (write).\n\n" +
        `\`redis:7\` was added to \`images.txt\` (commit \`${sha}\`), but no mirror run was started (a commit by the bot starts none by itself).` +
        " A maintainer needs to give the App `actions: write` in its settings (Permissions & events, as in app.yml) and accept the new permissions on the installation." +
        " After that, comment `/retry` to start the run; until then `/retry` fails the same way.",
    );
    expect(stateOf(gh.comments[0]!.body)).toMatchObject({ status: "failed", failed: ["redis:7"] });
    expect(gh.files.get(DEFAULT_BRANCH)).toBe("nginx:1.26\nredis:7\n");
    expect(gh.labels.get(7)).toEqual(["mirror:failed"]);
  });

  it("without Pull requests (write): the bot branch is deleted again and the requester told", async () => {
    const { pull_requests: _, ...rest } = ALL;
    const gh = github(rest);

    const errors = await deliver("/sync redis:7", COMMUNITY);

    expect(errors.map((e) => (e as Error).message)).toEqual(['opening the pull request failed: the GitHub App lacks the "pull_requests" permission (write)']);
    expect(visible(gh.comments[0]!.body)).toContain("Nothing was left behind: the pull request's branch was deleted.");
    expect(gh.branches()).toEqual([DEFAULT_BRANCH]);
    expect(gh.pulls).toEqual([]);
    expect(gh.files.get(DEFAULT_BRANCH)).toBe("nginx:1.26\n");
  });
});
