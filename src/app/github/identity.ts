/**
 * Who the app is on GitHub, so only comments it wrote itself are trusted as request state.
 * Other bots (and other apps on the repository) can write any text, a pasted status marker
 * included; a comment counts only when this app's own account wrote it.
 */
import { z } from "zod";
import type { Octokit } from "./client.js";

/** The account the app writes comments as. */
export interface BotIdentity {
  /** Its login, e.g. "mirrorbot[bot]" or "github-actions[bot]". */
  readonly login: string;
  /** The GitHub App's id, matched against `performed_via_github_app.id`; null when unknown. */
  readonly appId: number | null;
}

/** Resolves the identity of the client's app (the caller caches it). */
export type IdentitySource = (octokit: Octokit) => Promise<BotIdentity>;

/** The author fields of a listed comment. */
export interface CommentAuthor {
  readonly user?: { readonly login: string; readonly type?: string } | null;
  readonly performed_via_github_app?: { readonly id: number } | null;
}

/** The account GITHUB_TOKEN writes as: in Actions mode the app's comments come from it. */
export const ACTIONS_BOT_LOGIN = "github-actions[bot]";

const appSchema = z
  .object({
    id: z.number().int().positive().describe("the app's id"),
    slug: z.string().min(1).describe("URL name of the app; its bot user is `<slug>[bot]`"),
  })
  .describe("answer to GET /app");

/**
 * The hosted app's identity, from `GET /app` (Octokit signs that call with the app's JWT),
 * asked once per process; a failed lookup is not kept, so the next event asks again.
 */
export function appIdentity(): IdentitySource {
  let cached: Promise<BotIdentity> | null = null;
  return (octokit) => {
    cached ??= octokit.rest.apps.getAuthenticated().then(
      ({ data }) => {
        const app = appSchema.parse(data);
        return { login: `${app.slug}[bot]`, appId: app.id };
      },
      (err: unknown) => {
        cached = null;
        throw err;
      },
    );
    return cached;
  };
}

/** The identity in Actions mode: `github-actions[bot]`, known without a call. */
export function actionsIdentity(): IdentitySource {
  const identity: BotIdentity = { login: ACTIONS_BOT_LOGIN, appId: null };
  return async () => identity;
}

/** True when `comment` was written by `identity`: its login, or (hosted) posted through its app id. */
export function writtenBy(comment: CommentAuthor, identity: BotIdentity): boolean {
  if (comment.user?.login === identity.login) return true;
  return identity.appId !== null && comment.performed_via_github_app?.id === identity.appId;
}
