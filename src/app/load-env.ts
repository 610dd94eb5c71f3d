/** Build a flow's RepoEnv from an event: the repository and its validated config. */
import type { Logger } from "probot";
import type { AppDeps, RepoEnv } from "./env.js";
import type { Octokit } from "./github/client.js";
import { readConfig } from "./github/config.js";
import { reply } from "./github/issue.js";
import { watchWrites } from "./github/write-slot.js";
import { renderConfigError } from "./render.js";

/** The payload's repository, as far as the app needs it. */
export interface PayloadRepository {
  readonly name: string;
  readonly full_name: string;
  readonly default_branch: string;
  readonly owner: { readonly login: string };
}

/**
 * The env for an event, or null when `.github/mirrorbot.yml` is broken: then the problem is
 * replied on `replyTo` (naming each key) when there is an issue to reply on, and logged.
 */
export async function loadEnv(
  octokit: Octokit,
  log: Logger,
  repository: PayloadRepository,
  deps: AppDeps,
  replyTo: number | null,
): Promise<RepoEnv | null> {
  const repo = { owner: repository.owner.login, repo: repository.name };
  // Commits wait for the write slot before they read (github/write-slot.ts), so every write counts.
  watchWrites(octokit);
  const read = await readConfig(octokit, repo);
  if (!read.ok) {
    log.warn({ reason: "broken-config", issues: read.error.issues }, "config does not validate");
    if (replyTo !== null) await reply(octokit, repo, replyTo, renderConfigError(read.error));
    return null;
  }
  return { octokit, repo, fullName: repository.full_name, defaultBranch: repository.default_branch, config: read.config, log, deps };
}
