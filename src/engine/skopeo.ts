import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHILD_PID_FILE, ownedPrefix } from "./leftovers.js";
import { redact } from "./redact.js";

/** One side of a copy: a `docker://` reference and how to reach its registry. */
export interface CopyEndpoint {
  /** Reference without transport, e.g. "127.0.0.1:5000/library/nginx@sha256:..." */
  reference: string;
  tlsVerify: boolean;
  /** Containers auth file (mode 0600) holding this registry's credentials, if any. */
  authFile?: string | undefined;
}

/** What one `skopeo copy` run is asked to do. */
export interface CopyRequest {
  source: CopyEndpoint;
  destination: CopyEndpoint;
  /** Copy every platform of an index (`--all`); false copies just the referenced manifest. */
  all: boolean;
  /** Values to scrub from any error text, e.g. passwords. */
  secrets?: string[];
  signal?: AbortSignal;
  /** Extra environment for skopeo (tests point its caches elsewhere). */
  env?: Record<string, string>;
  /** Kill a copy that runs longer than this; a stalled registry must not hold a slot forever. */
  timeoutMs?: number;
  /** Where skopeo writes the digest of the manifest it pushed (`--digestfile`); skopeoCopy sets it. */
  digestFile?: string;
}

/** A failed `skopeo copy`, classified so the runner knows whether to retry. */
export class SkopeoError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly stderr: string,
  ) {
    super(message);
    this.name = "SkopeoError";
  }
}

/** An hour covers a multi-GB image over a slow link; a stuck connection ends well before the job's limit. */
export const DEFAULT_COPY_TIMEOUT_MS = 60 * 60_000;

/** The skopeo binary; overridable for tests and unusual installs. */
export function skopeoBinary(): string {
  return process.env.MIRRORBOT_SKOPEO ?? "skopeo";
}

/**
 * Build the argument array for `skopeo copy`. Credentials only ever travel in auth files.
 * @example copyArgs({source: {reference: "docker.io/library/nginx@sha256:…", tlsVerify: true}, …})
 *   // ["copy", "--all", "--preserve-digests", …, "docker://docker.io/library/nginx@sha256:…", "docker://…"]
 */
export function copyArgs(request: CopyRequest): string[] {
  const { source, destination } = request;
  const args = ["copy", "--retry-times", "0"];
  // --all with --preserve-digests refuses any change that would alter a digest, so the
  // mirror is byte-for-byte the source and "target digest == source digest" holds.
  args.push(...(request.all ? ["--all", "--preserve-digests"] : ["--preserve-digests"]));
  args.push(`--src-tls-verify=${source.tlsVerify}`, `--dest-tls-verify=${destination.tlsVerify}`);
  if (source.authFile) args.push("--src-authfile", source.authFile);
  if (destination.authFile) args.push("--dest-authfile", destination.authFile);
  if (request.digestFile) args.push("--digestfile", request.digestFile);
  args.push(`docker://${source.reference}`, `docker://${destination.reference}`);
  return args;
}

// Loaded on first need: execa costs ~80 ms of CPU to import, which a no-op run never pays.
let execaModule: Promise<typeof import("execa")> | undefined;
/** execa, imported once, when a process is first needed. */
export const loadExeca = () => (execaModule ??= import("execa"));

/** Start loading what a copy needs while the caller waits on the network; the first copy then starts at once. */
export function prepareCopies(): void {
  void loadExeca();
}

/**
 * Run one registry-to-registry copy. Resolves, once the destination has the manifest, to the
 * digest skopeo pushed (from `--digestfile`: the registry accepted exactly those bytes under
 * the tag, so no HEAD is needed to learn it).
 */
export async function skopeoCopy(request: CopyRequest): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), ownedPrefix("mirrorbot-copy-")));
  try {
    const digestFile = join(dir, "digest");
    await runCopy({ ...request, digestFile }, dir);
    return (await readFile(digestFile, "utf8")).trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The command that runs skopeo so it dies with us: on Linux, util-linux's `setpriv
 * --pdeathsig KILL` (Node has no prctl) makes the kernel kill it when this process dies, even
 * by SIGKILL. Elsewhere, or without setpriv, the next run kills it (./leftovers.ts).
 */
export function diesWithParent(file: string, args: string[]): { file: string; args: string[] } {
  if (process.platform !== "linux" || !existsSync(SETPRIV)) return { file, args };
  return { file: SETPRIV, args: ["--pdeathsig", "KILL", "--", file, ...args] };
}

const SETPRIV = "/usr/bin/setpriv";
/** setpriv's exit status when it could not exec the program (as a shell's 127). */
const EXEC_FAILED = 127;

async function runCopy(request: CopyRequest, dir: string): Promise<void> {
  const { execa } = await loadExeca();
  const command = diesWithParent(skopeoBinary(), copyArgs(request));
  const child = execa(command.file, command.args, {
    reject: false,
    stdin: "ignore",
    all: false,
    cancelSignal: request.signal,
    timeout: request.timeoutMs ?? DEFAULT_COPY_TIMEOUT_MS,
    env: request.env,
    // Nothing is staged locally; a small buffer holds only skopeo's log lines.
    maxBuffer: 4 * 1024 * 1024,
  });
  // Where the next run finds it, should this process be killed before skopeo ends.
  if (child.pid !== undefined) await writeFile(join(dir, CHILD_PID_FILE), String(child.pid)).catch(() => undefined);
  const result = await child;
  if (result.exitCode === 0) return;
  const stderr = redact(String(result.stderr ?? ""), request.secrets ?? []);
  // No exit code and no cancel or timeout: the binary never started.
  const notStarted = result.exitCode === undefined || (command.file === SETPRIV && result.exitCode === EXEC_FAILED);
  if (notStarted && !result.isCanceled && !result.timedOut) {
    // setpriv exits 127 when the program does not exist (util-linux's EX_EXEC_ENOENT).
    const code = result.exitCode === EXEC_FAILED ? "ENOENT" : ((result as { code?: string }).code ?? "error");
    throw new SkopeoError(`cannot run ${skopeoBinary()} (${code}): install skopeo (apt-get install skopeo, brew install skopeo) or set MIRRORBOT_SKOPEO to its path`, false, stderr);
  }
  if (result.isCanceled) throw new SkopeoError("copy cancelled", false, stderr);
  if (result.timedOut) {
    const minutes = Math.round((request.timeoutMs ?? DEFAULT_COPY_TIMEOUT_MS) / 60_000);
    throw new SkopeoError(`copy timed out after ${minutes} min: ${request.source.reference} -> ${request.destination.reference}`, true, stderr);
  }
  // Presumed transient: the runner asks the registries whether it is permanent (auth, a missing image).
  const said = lastSkopeoMessage(stderr);
  throw new SkopeoError(`skopeo copy failed (exit ${result.exitCode})${said ? `: ${said}` : ""}`, true, stderr);
}

/**
 * One line a person can read from skopeo's stderr: its last message. Only shown, never used to
 * decide anything: skopeo exits 1 for every failure and its text changes between versions, so
 * whether a failure is permanent is learned from the registries themselves (./skopeo-diagnosis.ts).
 */
export function lastSkopeoMessage(stderr: string): string {
  const last = stderr.trim().split("\n").filter(Boolean).pop() ?? "";
  return last.replace(/^time="[^"]*" level=\w+ msg="?/, "").replace(/"$/, "");
}
