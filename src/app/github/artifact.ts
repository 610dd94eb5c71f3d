/**
 * Fetch a run's `mirror-result` artifact and validate the `result.json` in it. The download
 * endpoint answers 302 to a short-lived zip URL, which fetch follows without our token.
 */
import { z } from "zod";
import { parseResult, type SyncResult } from "../../engine/result.js";
import { readZipEntry, ZipError } from "../zip.js";
import type { Octokit, Repo } from "./client.js";

/** Name of the artifact the workflow uploads (workflow contract). */
export const RESULT_ARTIFACT = "mirror-result";
/** The file inside it. */
export const RESULT_FILE = "result.json";
/** A result.json larger than this is refused: it lists a few hundred images at most. */
export const MAX_RESULT_BYTES = 8 * 1024 * 1024;
/**
 * A result with more tasks is refused before it is validated: checking millions of tiny
 * invalid entries (a few kB zipped) would take the memory of the process every installation shares.
 */
export const MAX_RESULT_TASKS = 10_000;
/** Schema problems named in the reason; the rest are counted. */
const MAX_PROBLEMS_SHOWN = 3;

/** The run's result, or why there is none to show. */
export type ResultDownload =
  | { readonly kind: "result"; readonly result: SyncResult }
  | { readonly kind: "missing" }
  | { readonly kind: "invalid"; readonly reason: string };

const artifactListSchema = z
  .object({
    artifacts: z
      .array(
        z.object({
          id: z.number().int().positive().describe("artifact id"),
          name: z.string().describe("artifact name"),
          expired: z.boolean().describe("true once the retention period is over"),
          size_in_bytes: z.number().int().nonnegative().optional().describe("size of the zip"),
        }),
      )
      .describe("the run's artifacts"),
  })
  .describe("answer to listing a run's artifacts");

/** Download and validate the result of run `runId`. */
export async function downloadResult(octokit: Octokit, repo: Repo, runId: number): Promise<ResultDownload> {
  const { data: list } = await octokit.rest.actions.listWorkflowRunArtifacts({ ...repo, run_id: runId, name: RESULT_ARTIFACT, per_page: 10 });
  const artifact = artifactListSchema.parse(list).artifacts.find((a) => a.name === RESULT_ARTIFACT && !a.expired);
  if (!artifact) return { kind: "missing" };
  // A zip holds its entry compressed; one much larger than the entry's limit is not ours.
  if ((artifact.size_in_bytes ?? 0) > 2 * MAX_RESULT_BYTES) return { kind: "invalid", reason: `the ${RESULT_ARTIFACT} artifact is larger than a result can be` };
  const { data } = await octokit.rest.actions.downloadArtifact({ ...repo, artifact_id: artifact.id, archive_format: "zip" });
  if (!(data instanceof ArrayBuffer)) return { kind: "invalid", reason: "the artifact download did not return a zip" };
  try {
    const bytes = readZipEntry(new Uint8Array(data), RESULT_FILE, MAX_RESULT_BYTES);
    if (!bytes) return { kind: "invalid", reason: `the ${RESULT_ARTIFACT} artifact has no ${RESULT_FILE}` };
    const json: unknown = JSON.parse(bytes.toString("utf8"));
    const tasks = (json as { tasks?: unknown } | null)?.tasks;
    if (Array.isArray(tasks) && tasks.length > MAX_RESULT_TASKS) {
      return { kind: "invalid", reason: `${RESULT_FILE} lists ${tasks.length} tasks; at most ${MAX_RESULT_TASKS} are read` };
    }
    return { kind: "result", result: parseResult(json) };
  } catch (err) {
    if (err instanceof ZipError) return { kind: "invalid", reason: err.message };
    if (err instanceof SyntaxError) return { kind: "invalid", reason: `${RESULT_FILE} is not JSON` };
    if (err instanceof z.ZodError) return { kind: "invalid", reason: `${RESULT_FILE} does not match the result schema: ${schemaProblems(err)}` };
    throw err;
  }
}

/** The first few schema problems as "path: message", then how many more. */
function schemaProblems(err: z.ZodError): string {
  const shown = err.issues.slice(0, MAX_PROBLEMS_SHOWN).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  const more = err.issues.length - shown.length;
  return shown.join("; ") + (more > 0 ? ` (and ${more} more)` : "");
}
