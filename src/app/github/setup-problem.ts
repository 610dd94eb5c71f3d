/**
 * A refusal that only the repository's owner can fix: the token lacks a permission, or a
 * repository setting forbids the call. GitHub says which permission a call needs in the
 * `x-accepted-github-permissions` header of its 403; the "Allow GitHub Actions to create and
 * approve pull requests" setting has no header or error code of its own, so it is told apart
 * by its documented message, compared whole (not a pattern), on the one call it concerns.
 * A 403 that carries rate-limit headers is a rate limit, never a setup problem.
 */
import { apiMessage, httpStatus } from "./client.js";

/** The GitHub calls whose refusal the app explains, and the permission each needs. */
export const OPERATIONS = {
  commit: { permission: "contents", level: "write", doing: "committing images.txt" },
  branch: { permission: "contents", level: "write", doing: "creating the pull request's branch" },
  dispatch: { permission: "actions", level: "write", doing: "starting the mirror workflow" },
  "pull-request": { permission: "pull_requests", level: "write", doing: "opening the pull request" },
  artifact: { permission: "actions", level: "read", doing: "reading the run's result" },
} as const;

export type Operation = keyof typeof OPERATIONS;

/** Where the app runs: which token it holds decides how a missing permission is granted. */
export type Runtime = "app" | "actions";

/** What is missing. */
export type Missing =
  | { readonly kind: "permission"; readonly permission: string; readonly level: "read" | "write" }
  | { readonly kind: "setting"; readonly setting: "actions-pull-requests" };

/** GitHub's message when the repository does not let GitHub Actions open pull requests (its REST docs, "Create a pull request"). */
export const ACTIONS_PULL_REQUESTS_REFUSED = "GitHub Actions is not permitted to create or approve pull requests.";

/** A call refused for a missing permission or setting, with what to say to whom. */
export class SetupProblem extends Error {
  constructor(
    readonly operation: Operation,
    readonly missing: Missing,
    readonly runtime: Runtime,
    /** GitHub's own message, for the log. */
    readonly githubMessage: string,
    /** What was done before the refusal that stays done (e.g. "`redis:7` was committed to images.txt"), if anything. */
    readonly done: string | null = null,
  ) {
    super(`${OPERATIONS[operation].doing} failed: ${describeMissing(missing, runtime, operation)}`);
    this.name = "SetupProblem";
  }

  /** What is missing, as one clause. */
  get what(): string {
    return describeMissing(this.missing, this.runtime, this.operation);
  }

  /** How to fix it, as one instruction. */
  get fix(): string {
    return fixFor(this.missing, this.runtime, this.operation);
  }

  /** What was refused, what is missing and the fix, for a status comment. */
  get text(): { doing: string; what: string; fix: string } {
    return { doing: OPERATIONS[this.operation].doing, what: this.what, fix: this.fix };
  }
}

/** The missing permission or setting behind `err` from `operation`, or null when it is not a setup problem. */
export function missingFor(err: unknown, operation: Operation): Missing | null {
  if (httpStatus(err) !== 403) return null;
  const headers = (err as { response?: { headers?: Record<string, string | undefined> } }).response?.headers ?? {};
  if (headers["retry-after"] !== undefined || headers["x-ratelimit-remaining"] === "0") return null;
  if (operation === "pull-request" && apiMessage(err) === ACTIONS_PULL_REQUESTS_REFUSED) return { kind: "setting", setting: "actions-pull-requests" };
  return acceptedPermission(headers["x-accepted-github-permissions"]) ?? { kind: "permission", permission: OPERATIONS[operation].permission, level: OPERATIONS[operation].level };
}

/** A SetupProblem for `err`, or null. */
export function setupProblem(err: unknown, operation: Operation, runtime: Runtime, done: string | null = null): SetupProblem | null {
  const missing = missingFor(err, operation);
  return missing ? new SetupProblem(operation, missing, runtime, apiMessage(err), done) : null;
}

/**
 * The first permission of the first accepted set in GitHub's header.
 * @example acceptedPermission("actions=write; contents=read") // { kind: "permission", permission: "actions", level: "write" }
 */
export function acceptedPermission(header: string | undefined): Missing | null {
  const first = header?.split(";")[0]?.split(",")[0]?.trim();
  const match = first ? /^([a-z_]+)=(read|write)$/.exec(first) : null;
  return match ? { kind: "permission", permission: match[1]!, level: match[2] as "read" | "write" } : null;
}

/** The workflow job whose token makes `operation`'s call in Actions mode. */
function jobOf(operation: Operation): { file: string; job: string } {
  return operation === "artifact" ? { file: ".github/workflows/mirror.yml", job: "report" } : { file: ".github/workflows/bot.yml", job: "request" };
}

/** `pull_requests` as a workflow's `permissions:` spells it. */
function yamlKey(permission: string): string {
  return permission.replace(/_/g, "-");
}

function describeMissing(missing: Missing, runtime: Runtime, operation: Operation): string {
  if (missing.kind === "setting") return 'the repository does not allow GitHub Actions to create pull requests (setting "Allow GitHub Actions to create and approve pull requests" is off)';
  if (runtime === "actions") return `the workflow token of the \`${jobOf(operation).job}\` job lacks the \`${yamlKey(missing.permission)}: ${missing.level}\` permission`;
  return `the GitHub App lacks the "${missing.permission}" permission (${missing.level})`;
}

function fixFor(missing: Missing, runtime: Runtime, operation: Operation): string {
  if (missing.kind === "setting") {
    return 'turn on Settings → Actions → General → Workflow permissions → "Allow GitHub Actions to create and approve pull requests" (for a repository in an organization, the organization must allow it first)';
  }
  if (runtime === "actions") {
    const { file, job } = jobOf(operation);
    return `add \`${yamlKey(missing.permission)}: ${missing.level}\` under \`permissions:\` of the \`${job}\` job in \`${file}\``;
  }
  return `give the App "${missing.permission}: ${missing.level}" in its settings (Permissions & events, as in app.yml) and accept the new permissions on the installation`;
}
