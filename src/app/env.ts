/** What every flow works with: the repository, its config, the client, and the app's own dependencies. */
import type { Logger } from "probot";
import type { Config } from "../domain/config.js";
import type { Octokit, Repo } from "./github/client.js";
import { registryTagSource, type TagSource } from "./tag-check.js";
import { appIdentity, type IdentitySource } from "./github/identity.js";
import { MemoryRateLimitStore, type RateLimitStore } from "./rate-limit.js";

/** Things a test (or the Actions mode) replaces: time, the rate-limit store, how long to look for a run, who the app is. */
export interface AppDeps {
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly rateLimits: RateLimitStore;
  /** Listings of the workflow's runs when the dispatch answer names no run. */
  readonly runSearch: { readonly attempts: number; readonly intervalMs: number };
  /** Attempts to commit images.txt when others commit at the same time. */
  readonly commitAttempts: number;
  /** Requests being handled by this process, so a redelivered event cannot start a second run. */
  readonly inflight: Set<string>;
  /** The app's own account: only status comments it wrote are trusted. */
  readonly identity: IdentitySource;
  /** Where a request's tags are read (tag sets, did-you-mean): the source registries. */
  readonly tagSource: (config: Config) => TagSource;
}

/** Production defaults: real time, an in-memory rate limit, up to 5 x 2 s looking for a run, the identity from `GET /app`. */
export function defaultDeps(): AppDeps {
  return {
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
    rateLimits: new MemoryRateLimitStore(),
    runSearch: { attempts: 5, intervalMs: 2000 },
    commitAttempts: 4,
    inflight: new Set(),
    identity: appIdentity(),
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
