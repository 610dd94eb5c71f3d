/** Request states as status comments carry them, for tests that start after an earlier step of a request. */
import { renderStatus } from "../../../src/app/render.js";
import type { RequestState } from "../../../src/app/state.js";

/** Request 7-5001 by maya on issue 7, queued, with nothing recorded yet; `over` replaces fields. */
export function requestState(over: Partial<RequestState> = {}): RequestState {
  return {
    version: 1,
    request: "7-5001",
    issue: 7,
    kind: "issue",
    status: "queued",
    requester: { login: "maya", id: 1001 },
    images: [],
    force: false,
    pr: null,
    commit: null,
    run: null,
    failed: [],
    ...over,
  };
}

/** A status comment body carrying `state`; the app reads back only the state, so the visible text is the plain queued view. */
export function statusBody(state: RequestState): string {
  return renderStatus(state, { kind: "queued", rows: [] });
}
