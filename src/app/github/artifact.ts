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
  const { data } = await octokit.rest.actions.downloadArtifact({ ...repo, artifact_id: artifact.id, archive_format: "zip" });
  if (!(data instanceof ArrayBuffer)) return { kind: "invalid", reason: "the artifact download did not return a zip" };
  try {
    const bytes = readZipEntry(new Uint8Array(data), RESULT_FILE, MAX_RESULT_BYTES);
    if (!bytes) return { kind: "invalid", reason: `the ${RESULT_ARTIFACT} artifact has no ${RESULT_FILE}` };
    return { kind: "result", result: parseResult(JSON.parse(bytes.toString("utf8"))) };
  } catch (err) {
    if (err instanceof ZipError) return { kind: "invalid", reason: err.message };
    if (err instanceof SyntaxError) return { kind: "invalid", reason: `${RESULT_FILE} is not JSON` };
    if (err instanceof z.ZodError) return { kind: "invalid", reason: `${RESULT_FILE} does not match the result schema: ${z.prettifyError(err)}` };
    throw err;
  }
}
