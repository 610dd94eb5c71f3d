/**
 * The repository most GitHub-side tests act on, in the fake GitHub: images.txt with one line,
 * the test config, a maintainer and a community member (read). Tests change what they need.
 */
import { COMMUNITY, DEFAULT_BRANCH, FULL_NAME, MAINTAINER } from "../../fixtures/payloads.js";
import { CONFIG } from "../../app/helpers/github.js";
import { FakeGitHub, type FakeOptions } from "./fake-github.js";

/** A FakeGitHub for the standard test repository, with `overrides` applied on top. */
export function mirrorRepo(overrides: Partial<FakeOptions> = {}): FakeGitHub {
  return new FakeGitHub({
    fullName: FULL_NAME,
    defaultBranch: DEFAULT_BRANCH,
    config: CONFIG,
    files: { [DEFAULT_BRANCH]: "nginx:1.26\n" },
    roles: { [MAINTAINER.login]: "maintain", [COMMUNITY.login]: "read" },
    ...overrides,
  });
}
