/** nock helpers for the GitHub REST API as the app calls it, and the per-test nock set-up. */
import nock from "nock";
import { afterEach, beforeEach } from "vitest";
import { DEFAULT_BRANCH, FULL_NAME, INSTALLATION_ID } from "../../fixtures/payloads.js";
import { API } from "./probot.js";

export const R = `/repos/${FULL_NAME}`;
export const CONFIG_PATH = `${R}/contents/.github%2Fmirrorbot.yml`;

/** A config with one real-looking target. */
export const CONFIG = ["targets:", "  - name: acr", "    registry: registry.cn-hangzhou.aliyuncs.com", "    namespace: mirror", ""].join("\n");

/** In every test of the file: refuse real connections (except to `allowHost`), and drop unused interceptors after. */
export function blockNetwork(allowHost?: string): void {
  beforeEach(() => {
    nock.disableNetConnect();
    if (allowHost) nock.enableNetConnect(allowHost);
  });
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });
}

/** A scope on the API that answers the installation token request first. */
export function api(): nock.Scope {
  return nock(API)
    .post(`/app/installations/${INSTALLATION_ID}/access_tokens`)
    .reply(200, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z", permissions: {}, repository_selection: "all" });
}

/** The config read: raw text from the default branch. */
export function config(scope: nock.Scope, text: string = CONFIG): nock.Scope {
  return scope.get(CONFIG_PATH).reply(200, text, { "content-type": "text/plain; charset=utf-8" });
}

/** A contents API answer for a file. */
export function fileBody(path: string, text: string, sha: string) {
  return { type: "file", name: path, path, sha, encoding: "base64", content: Buffer.from(text).toString("base64") };
}

/** `GET contents/images.txt?ref=<ref>` answering `text` with blob `sha`. */
export function imagesFile(scope: nock.Scope, text: string, sha: string, ref: string = DEFAULT_BRANCH): nock.Scope {
  return scope.get(`${R}/contents/images.txt`).query({ ref }).reply(200, fileBody("images.txt", text, sha));
}

/** A merged pull request's diff of images.txt (the lines it adds) and the file after the merge. */
export function mergedPull(scope: nock.Scope, number: number, options: { adds: string[] | null; merged: string; mergeSha?: string }): nock.Scope {
  const mergeSha = options.mergeSha ?? "c".repeat(40);
  // A patch as GitHub's file list carries it; null stands for a diff too large to get one.
  const patch = options.adds === null ? undefined : `@@ -1,1 +1,${options.adds.length + 1} @@\n # context\n${options.adds.map((l) => `+${l}`).join("\n")}`;
  scope
    .get(`${R}/pulls/${number}/files`)
    .query({ per_page: "100" })
    .reply(200, [{ filename: "images.txt", status: "modified", ...(patch === undefined ? {} : { patch }) }]);
  return imagesFile(scope, options.merged, `blob-${mergeSha.slice(0, 4)}`, mergeSha);
}

/** The collaborator permission answer. */
export function permission(scope: nock.Scope, login: string, role: string, legacy: string = role): nock.Scope {
  return scope.get(`${R}/collaborators/${login}/permission`).reply(200, { permission: legacy, role_name: role, user: { login } });
}

/** The app the test Probot authenticates as (`appId: 123` in helpers/probot.ts); its bot user is `mirrorbot[bot]`. */
export const APP = { id: 123, slug: "mirrorbot", name: "mirrorbot" } as const;

/** A listed comment: by the app's bot unless `bot: false` (a person) or another `login` (another bot), optionally posted through app `viaApp`. */
export interface ListedComment {
  id: number;
  body: string;
  bot?: boolean;
  login?: string;
  viaApp?: number;
}

/**
 * `GET /app`: the app's identity, which the app asks once per process before trusting a
 * status comment. GitHub answers it only for the app's JWT, never an installation token.
 */
export function appIdentity(scope: nock.Scope): nock.Scope {
  return scope
    .get("/app")
    .matchHeader("authorization", /^bearer [\w-]+\.[\w-]+\.[\w-]+$/)
    .reply(200, { ...APP, owner: { login: "Codertocat" } });
}

/**
 * Comments on an issue, as the listing returns them. When one is a bot's comment starting
 * with a status marker, the app asks who it is (`GET /app`) before trusting it: that call is
 * expected too, unless `identityKnown` (the same Probot asked before).
 */
export function comments(scope: nock.Scope, issue: number, list: ListedComment[] = [], identityKnown = false): nock.Scope {
  const user = (c: ListedComment) =>
    c.bot === false ? { login: c.login ?? "someone", type: "User" } : { login: c.login ?? `${APP.slug}[bot]`, type: "Bot" };
  scope
    .get(`${R}/issues/${issue}/comments`)
    .query({ per_page: "100" })
    .reply(
      200,
      list.map((c) => ({ id: c.id, body: c.body, user: user(c), performed_via_github_app: c.viaApp !== undefined ? { id: c.viaApp, slug: "some-app" } : null })),
    );
  const candidate = list.some((c) => c.bot !== false && c.body.startsWith("<!-- mirrorbot:request "));
  return candidate && !identityKnown ? appIdentity(scope) : scope;
}

/** The app's bot user, as GitHub names the author of the comments the app writes. */
export const BOT_USER = { login: `${APP.slug}[bot]`, type: "Bot" } as const;

/**
 * The first status comment of a request: created (answered with `id`), then the issue's
 * comments listed again, showing it as the only one, so the app knows no other delivery of
 * the same event got there first.
 */
export function claimedComment(scope: nock.Scope, issue: number, id: number, match: (body: string) => boolean = () => true): nock.Scope {
  let posted = "";
  return scope
    .post(`${R}/issues/${issue}/comments`, (b) => match(b.body) && ((posted = b.body), true))
    .reply(201, { id, user: BOT_USER })
    .get(`${R}/issues/${issue}/comments`)
    .query({ per_page: "100" })
    .reply(200, () => [{ id, body: posted, user: BOT_USER, performed_via_github_app: null }]);
}

/**
 * A launch's status comment on `issue`: created first saying `received` (answered with `id`),
 * then edited `edits` times (queued, or failed); `edited` sees each new body.
 */
export function launchComment(scope: nock.Scope, issue: number, id: number, edited: (body: string) => void = () => {}, edits = 1): nock.Scope {
  return claimedComment(scope, issue, id, (body) => body.includes('"status":"received"') && body.includes("was received.**"))
    .patch(`${R}/issues/comments/${id}`, (b) => (edited(b.body), true))
    .times(edits)
    .reply(200, {});
}

/**
 * A request that gets queued: the dispatch (answered with run `runId`), the `mirror:queued`
 * label on `issue`, and the status comment `commentId` (see launchComment).
 */
export function expectQueued(
  scope: nock.Scope,
  at: { issue: number; runId: number; commentId: number },
  seen: { dispatch?: (body: unknown) => void; comment?: (body: string) => void } = {},
): nock.Scope {
  scope
    .post(`${R}/actions/workflows/mirror.yml/dispatches`, (b) => (seen.dispatch?.(b), true))
    .reply(200, { workflow_run_id: at.runId, run_url: "u", html_url: `https://github.com/x/runs/${at.runId}` })
    .post(`${R}/issues/${at.issue}/labels`, { labels: ["mirror:queued"] })
    .reply(200, []);
  return launchComment(scope, at.issue, at.commentId, seen.comment);
}

/** Who asked on which issue, what images.txt holds, and the comments already there. */
export interface RequestReads {
  issue: number;
  /** images.txt on the default branch, and its blob sha (what a commit must name). */
  images: string;
  sha: string;
  /** The requester, their `role_name` and the legacy `permission` (the role when not given). */
  login: string;
  role: string;
  legacy?: string;
  /** Comments already on the issue, e.g. an earlier status comment; none when not given. */
  comments?: ListedComment[];
}

/**
 * What the app reads, in its order, before it judges a request (a `/sync`, `/retry` or issue
 * form): the config, the issue's comments, images.txt on the default branch, the requester's permission.
 */
export function requestReads(scope: nock.Scope, reads: RequestReads): nock.Scope {
  config(scope);
  comments(scope, reads.issue, reads.comments);
  imagesFile(scope, reads.images, reads.sha);
  return permission(scope, reads.login, reads.role, reads.legacy);
}

/** Decode the base64 content of a contents PUT body. */
export function decoded(body: { content: string }): string {
  return Buffer.from(body.content, "base64").toString("utf8");
}
