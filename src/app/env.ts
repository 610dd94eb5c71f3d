/** What every flow works with: the repository, its config, the client, and the app's own dependencies. */
import type { Logger } from "probot";
import type { Config } from "../domain/config.js";
import type { Octokit, Repo } from "./github/client.js";
import { registryTagSource, type TagSource } from "./tag-check.js";
import { appIdentity, type IdentitySource } from "./github/identity.js";
import type { Runtime } from "./github/setup-problem.js";
import { githubLimiter, type RequestLimiter } from "./rate-limit.js";

/**
 * Things a test (or the Actions mode) replaces: time, the hourly limit, how long to look for a
 * run, who the app is. None of them holds request state: that lives on GitHub only.
 */
export interface AppDeps {
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly rateLimits: RequestLimiter;
  /** Listings of the workflow's runs when the dispatch answer names no run. */
  readonly runSearch: { readonly attempts: number; readonly intervalMs: number };
  /** Attempts to commit images.txt when others commit at the same time. */
  readonly commitAttempts: number;
  /** The app's own account: only status comments it wrote are trusted. */
  readonly identity: IdentitySource;
  /** The hosted App or Actions mode: how a missing permission is granted differs. */
  readonly runtime: Runtime;
  /** Where a request's tags are read (tag sets, did-you-mean): the source registries. */
  readonly tagSource: (config: Config) => TagSource;
}

/** Production defaults: real time, the hourly limit counted on GitHub, up to 5 x 2 s looking for a run, the identity from `GET /app`. */
export function defaultDeps(): AppDeps {
  return {
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
    rateLimits: githubLimiter(),
    runSearch: { attempts: 5, intervalMs: 2000 },
    commitAttempts: 10,
    identity: appIdentity(),
    runtime: "app",
    tagSource: (config) => registryTagSource(config),
  };
}

/** One event's view of the repository. */
export interface RepoEnv {
  readonly octokit: Octokit;
  readonly repo: Repo;
  /** "owner/name", for rate-limit keys and logs. */
  readonly fullName: string;
  readonly defaultBranch: string;
  readonly config: Config;
  readonly log: Logger;
  readonly deps: AppDeps;
}

/** The issue or pull request a request lives on: where its status comment and labels go. */
export interface Home {
  readonly issue: number;
  readonly kind: "issue" | "pull";
  /** Its label names now, so only labels present are removed. */
  readonly labels: readonly string[];
}

/** A GitHub user, as the state and commit trailers need them. */
export interface Person {
  readonly login: string;
  readonly id: number;
}
