/** Report images.txt problems on a pull request as a check run with line annotations. */
import type { Diagnostic } from "../../domain/diagnostic.js";
import type { Octokit, Repo } from "./client.js";

/** The API takes at most 50 annotations per request; the rest go in follow-up updates. */
const ANNOTATIONS_PER_CALL = 50;

/** One annotation per diagnostic, on its exact line and column. */
export function annotations(path: string, diagnostics: readonly Diagnostic[]) {
  return diagnostics.map((d) => ({
    path,
    start_line: d.line,
    end_line: d.line,
    start_column: d.column,
    end_column: d.column,
    annotation_level: d.severity === "error" ? ("failure" as const) : ("warning" as const),
    message: d.message,
  }));
}

/** Create a completed check run on `headSha`: failure when any diagnostic is an error. */
export async function reportCheckRun(
  octokit: Octokit,
  repo: Repo,
  options: { name: string; headSha: string; path: string; diagnostics: readonly Diagnostic[]; title: string; summary: string },
): Promise<void> {
  const all = annotations(options.path, options.diagnostics);
  const conclusion = options.diagnostics.some((d) => d.severity === "error") ? "failure" : "success";
  const output = (batch: typeof all) => ({ title: options.title, summary: options.summary, annotations: batch });
  const { data } = await octokit.rest.checks.create({
    ...repo,
    name: options.name,
    head_sha: options.headSha,
    status: "completed",
    conclusion,
    output: output(all.slice(0, ANNOTATIONS_PER_CALL)),
  });
  for (let i = ANNOTATIONS_PER_CALL; i < all.length; i += ANNOTATIONS_PER_CALL) {
    await octokit.rest.checks.update({ ...repo, check_run_id: data.id, output: output(all.slice(i, i + ANNOTATIONS_PER_CALL)) });
  }
}
