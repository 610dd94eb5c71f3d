import { z } from "zod";

/** Bump when a field changes meaning or goes away; adding optional fields keeps it. */
export const RESULT_VERSION = 1;

export const taskStatusSchema = z
  .enum(["copied", "skipped", "failed"])
  .describe("copied: bytes moved; skipped: the target already had this digest; failed: see error");

// An image reference has no whitespace or control characters; one that does is not a result
// of ours, and would break out of the code spans and blocks the app's comments put it in.
const reference = z.string().regex(/^[^\s\u0000-\u001f\u007f]+$/, "an image reference without whitespace or control characters");

export const taskResultSchema = z.object({
  line: z.number().int().positive().nullable().describe("1-based line of the entry in images.txt, or null when it came from --only"),
  source: reference.describe("canonical source reference, e.g. docker.io/library/nginx:1.26"),
  target: reference.describe("full target reference, e.g. registry.example.com/mirror/nginx:1.26"),
  targetName: z.string().describe("name of the configured target registry"),
  platform: z.string().nullable().describe("os/arch[/variant] for a platform entry, null for the whole index"),
  status: taskStatusSchema,
  sourceDigest: z.string().nullable().describe("digest of the source manifest or index, when it could be resolved"),
  targetDigest: z.string().nullable().describe("digest at the target after the task, when it could be resolved"),
  size: z
    .number()
    .int()
    .nonnegative()
    .nullable()
    .describe("bytes of all blobs and manifests the image references; null when the task read no manifest (skipped, or failed before reading)"),
  bytes: z.number().int().nonnegative().describe("blob bytes this task uploaded to the target"),
  durationMs: z.number().int().nonnegative().describe("wall time of the task in milliseconds"),
  error: z.string().nullable().describe("why the task failed, in words a person can act on; never a credential"),
  rule: z.string().optional().describe('the tag set that produced this task, e.g. "nginx:{semver ^1.26}"; absent for a plain line'),
  new: z
    .boolean()
    .optional()
    .describe("tag-set tasks only: true when the target did not have this tag before the run (a tag new since the last run)"),
});

export const tagSetResultSchema = z.object({
  line: z.number().int().positive().nullable().describe("1-based line of the tag set in images.txt, or null when it came from the dispatch input"),
  rule: z.string().describe('the tag set as written, repository in short form, e.g. "nginx:{semver ^1.26}"'),
  platform: z.string().nullable().describe("os/arch[/variant] when the set is copied per platform, else null"),
  tags: z.array(z.string()).describe("the tags it matched this run, newest first"),
  newTags: z.array(z.string()).describe("matched tags some target did not have before the run: new since the last run"),
  available: z.number().int().nonnegative().describe("how many tags the source repository has"),
  error: z.string().nullable().describe("why the set was not expanded (unknown repository, over policy.maxTagsPerRule, registry error)"),
});

export const syncResultSchema = z.object({
  version: z.literal(RESULT_VERSION).describe("schema version of this file"),
  request: z.string().nullable().describe("request id from the workflow dispatch, if any"),
  startedAt: z.string().describe("ISO 8601 time the sync started"),
  finishedAt: z.string().describe("ISO 8601 time the sync finished"),
  summary: z
    .object({
      total: z.number().int().nonnegative(),
      copied: z.number().int().nonnegative(),
      skipped: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
      bytes: z.number().int().nonnegative().describe("blob bytes uploaded in all"),
    })
    .describe("counts over all tasks"),
  tasks: z.array(taskResultSchema).describe("one entry per (image, target)"),
  tagSets: z.array(tagSetResultSchema).optional().describe("what each tag set expanded to this run; absent when the run had none"),
});

export type TaskStatus = z.infer<typeof taskStatusSchema>;
export type TaskResult = z.infer<typeof taskResultSchema>;
export type SyncResult = z.infer<typeof syncResultSchema>;
export type TagSetResult = z.infer<typeof tagSetResultSchema>;

/** Build a result document from task results, computing the summary. */
export function buildResult(tasks: TaskResult[], meta: { request: string | null; startedAt: Date; finishedAt: Date }): SyncResult {
  const count = (s: TaskStatus) => tasks.filter((t) => t.status === s).length;
  return {
    version: RESULT_VERSION,
    request: meta.request,
    startedAt: meta.startedAt.toISOString(),
    finishedAt: meta.finishedAt.toISOString(),
    summary: {
      total: tasks.length,
      copied: count("copied"),
      skipped: count("skipped"),
      failed: count("failed"),
      bytes: tasks.reduce((n, t) => n + t.bytes, 0),
    },
    tasks,
  };
}

/** Validate a result.json read from disk or an artifact; throws a ZodError naming the field. */
export function parseResult(json: unknown): SyncResult {
  return syncResultSchema.parse(json);
}
