/**
 * Read images.txt and commit lines to it through the contents API. A commit names the blob
 * sha it read; when someone else committed in between (409 "does not match", 422 "is at X
 * but expected Y", or 422 for a file created meanwhile) the file is read again, the lines
 * re-applied and the commit retried after a jittered pause, a bounded number of times.
 * Every read waits first for the client's write slot (github/write-slot.ts), so Probot's
 * write throttle cannot hold the write a second after its read: the window in which another
 * writer can win is one round trip, and the jitter spreads the writers that collided.
 * Any other 409/422 (a protected branch, a ruleset) is final: retrying cannot fix it. Lines
 * already present are never added twice.
 */
import { addEntries } from "../../domain/images-file.js";
import { apiMessage, httpStatus, NO_RETRY, type Octokit, type Repo } from "./client.js";
import { untilWriteSlot } from "./write-slot.js";

/** The text of a file at a ref, and its blob sha (null when the file does not exist). */
export interface FileSnapshot {
  readonly text: string;
  readonly sha: string | null;
}

/** A commit the app made. */
export interface CommitLink {
  readonly sha: string;
  readonly url: string;
}

/** Every attempt to commit met a conflict. */
export class CommitConflictError extends Error {}

/** GitHub refused the commit for a reason a retry cannot fix (branch protection, a ruleset). */
export class CommitRefusedError extends Error {}

/** GitHub's messages for a write that lost a race; any other 409/422 is a refusal. */
const CONFLICT_MESSAGES = [/ does not match /, /\bis at [0-9a-f]+ but expected [0-9a-f]+/, /"sha" wasn't supplied/];

/**
 * Longest pause before the first retry; each later one may wait twice as long, up to
 * BACKOFF_CAP_MS. A second, because a write on GitHub takes a few hundred milliseconds: the
 * writers that collided must spread over several of those windows.
 */
const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 16_000;

/** True when `err` says someone else changed the file or branch first (worth a retry). */
export function isCommitConflict(err: unknown): boolean {
  const status = httpStatus(err);
  if (status !== 409 && status !== 422) return false;
  const message = apiMessage(err);
  return CONFLICT_MESSAGES.some((re) => re.test(message));
}

/**
 * The pause before retry number `attempt` (1-based): full jitter over an exponential cap, so
 * writers that collided do not collide again in step.
 * @example backoffMs(2, () => 0.5) // 1000 (half of the 2 s cap)
 */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1)));
}

/** Read `path` at `ref` (a branch, tag or sha); a missing file reads as empty. */
export async function readRepoFile(octokit: Octokit, repo: Repo, path: string, ref: string): Promise<FileSnapshot> {
  try {
    const { data } = await octokit.rest.repos.getContent({ ...repo, path, ref });
    if (Array.isArray(data) || data.type !== "file") throw new Error(`${path} is not a file`);
    if (!("content" in data) || data.encoding !== "base64") throw new Error(`${path} is too large to read through the contents API`);
    return { text: Buffer.from(data.content, "base64").toString("utf8"), sha: data.sha };
  } catch (err) {
    if (httpStatus(err) === 404) return { text: "", sha: null };
    throw err;
  }
}

/**
 * Add `lines` to `path` on `branch`; `message(added)` gives the commit message. Returns the
 * lines actually added and the commit, or no commit when every line was already there.
 * Throws CommitRefusedError when GitHub refuses the write, CommitConflictError when every
 * attempt lost a race.
 */
export async function commitLines(
  octokit: Octokit,
  repo: Repo,
  options: {
    path: string;
    branch: string;
    lines: readonly string[];
    message: (added: string[]) => string;
    attempts: number;
    /** Waits between attempts; real time unless a test passes its own. */
    sleep?: (ms: number) => Promise<void>;
  },
): Promise<{ added: string[]; commit: CommitLink | null }> {
  const { path, branch, lines, message, attempts } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep(backoffMs(attempt - 1));
    const wait = untilWriteSlot(octokit);
    if (wait > 0) await sleep(wait);
    const current = await readRepoFile(octokit, repo, path, branch);
    const { text, added } = addEntries(current.text, [...lines]);
    if (added.length === 0) return { added, commit: null };
    try {
      const { data } = await octokit.rest.repos.createOrUpdateFileContents({
        ...repo,
        path,
        branch,
        message: message(added),
        content: Buffer.from(text, "utf8").toString("base64"),
        ...(current.sha !== null ? { sha: current.sha } : {}),
        request: NO_RETRY,
      });
      return { added, commit: { sha: data.commit.sha ?? "", url: data.commit.html_url ?? "" } };
    } catch (err) {
      const status = httpStatus(err);
      if (status !== 409 && status !== 422) throw err;
      if (!isCommitConflict(err)) throw new CommitRefusedError(`${path} could not be committed: ${oneLine(apiMessage(err))}`);
    }
  }
  throw new CommitConflictError(`${path} on ${branch} kept changing; gave up after ${attempts} attempts`);
}

/** GitHub's message on one line, without a closing period (the reply adds its own). */
function oneLine(message: string): string {
  return message.replace(/\s+/g, " ").trim().replace(/\.+$/, "");
}
