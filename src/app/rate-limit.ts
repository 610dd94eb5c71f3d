/**
 * The hourly limit per requester (`policy.requestsPerHour`), judged from GitHub's own state by
 * the rule in domain/request-rate.ts. The app keeps no counters: a restart, several replicas
 * or one process per workflow run judge every request the same way.
 */
import type { RateDecision } from "../domain/request-rate.js";
import { HOUR_MS, judge } from "../domain/request-rate.js";
import type { RepoEnv } from "./env.js";
import { requestHistory, type RequestAsk } from "./github/request-history.js";

export { HOUR_MS, type RateDecision };
export type { RequestAsk };

/** Decides whether a request is within its requester's hourly limit. */
export interface RequestLimiter {
  judge(env: RepoEnv, ask: RequestAsk): Promise<RateDecision>;
}

/** The limiter of both modes: the requester's earlier requests, as GitHub shows them. */
export function githubLimiter(): RequestLimiter {
  return {
    async judge(env, ask) {
      const limit = env.config.policy.requestsPerHour;
      const now = env.deps.now();
      const self = await env.deps.identity(env.octokit);
      const records = await requestHistory(env.octokit, env.repo, self, ask, { ms: HOUR_MS, now }, env.log);
      const decision = judge(ask.mark, records, limit, HOUR_MS, now);
      env.log.debug({ requester: ask.requester, earlier: records.length, allowed: decision.allowed }, "hourly limit judged");
      return decision;
    },
  };
}
