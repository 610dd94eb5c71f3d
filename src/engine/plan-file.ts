/**
 * The versioned `plan.json` a sharded sync is planned into once and run from many times: the
 * digests resolved with HEADs, the manifests read (so no shard reads them from the source
 * again: Docker Hub counts every manifest GET as a pull), and which copies run in which shard.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { parseManifest } from "./manifest.js";
import { taskResultSchema } from "./result.js";

/** Bump when a field changes meaning or goes away; adding optional fields keeps it. */
export const PLAN_VERSION = 1;

const digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, "a sha256 digest").describe("content digest, sha256:<64 hex>");

const manifestSchema = z
  .object({
    digest: digest.describe("digest of the manifest bytes"),
    mediaType: z.string().describe("media type the source registry served it as"),
    body: z.base64().describe("the manifest bytes exactly as served, base64; their sha256 is `digest`"),
  })
  .describe("one manifest or index read from the source");

const plannedTaskSchema = z
  .object({
    id: z.int().nonnegative().describe("task number, unique in the plan; shards name tasks by it"),
    line: taskResultSchema.shape.line,
    source: taskResultSchema.shape.source,
    target: taskResultSchema.shape.target,
    targetName: taskResultSchema.shape.targetName,
    platform: taskResultSchema.shape.platform,
    action: z.enum(["copy", "skip", "fail"]).describe("copy: a shard copies it; skip: the target already had the digest; fail: planning could not resolve it (see error)"),
    sourceDigest: z.string().nullable().describe("digest of the source manifest or index the copy must push, when resolved"),
    targetDigest: z.string().nullable().describe("digest the target had when planned, if any"),
    mediaType: z.string().describe("media type of the source manifest or index; empty when unknown"),
    error: z.string().nullable().describe("why planning failed for this task; never a credential"),
    manifests: z.array(manifestSchema).describe("copy only: the manifests it pushes, as read while planning, in push order: platform manifests first, the top (index or manifest) last"),
    missingBytes: z.int().nonnegative().describe("bytes of blobs the target was not known to hold when planned"),
  })
  .describe("one (image, target) pair as planned");

export const planSchema = z
  .object({
    version: z.literal(PLAN_VERSION).describe("schema version of this file"),
    request: z.string().nullable().describe("request id from the workflow dispatch, copied into every shard's result"),
    createdAt: z.string().describe("ISO 8601 time the plan was made"),
    force: z.boolean().describe("copies were planned even where the target had the digest"),
    tasks: z.array(plannedTaskSchema).describe("every task of the sync, in images.txt order"),
    seed: z.array(z.int().nonnegative()).describe("ids of copies run before every shard: they upload the blobs several shards share, which the shards then mount"),
    shards: z
      .array(
        z
          .object({
            tasks: z.array(z.int().nonnegative()).describe("ids of the copies this shard runs"),
            bytes: z.int().nonnegative().describe("missing bytes this shard uploads, as planned"),
          })
          .describe("one shard: one runner or process"),
      )
      .describe("the shards, numbered from 0; empty when nothing needs copying"),
    stats: z
      .object({
        uniqueBytes: z.int().nonnegative().describe("bytes of unique blobs the targets lack: what one ideal run uploads"),
        seedBytes: z.int().nonnegative().describe("of those, bytes the seed uploads"),
        duplicateBytes: z.int().nonnegative().describe("bytes the split may upload more than once (copies that could not be separated)"),
        planningMs: z.int().nonnegative().describe("wall time of the split itself"),
      })
      .describe("what the split costs"),
  })
  .describe("a sync planned for shards (mirrorbot plan --shards)")
  .superRefine((plan, ctx) => {
    const ids = new Set<number>();
    plan.tasks.forEach((t, i) => {
      if (ids.has(t.id)) ctx.addIssue({ code: "custom", path: ["tasks", i, "id"], message: `task id ${t.id} appears twice` });
      ids.add(t.id);
    });
    const byId = new Map(plan.tasks.map((t) => [t.id, t]));
    const placed = new Set<number>();
    const place = (id: number, path: Array<string | number>) => {
      const task = byId.get(id);
      if (!task) ctx.addIssue({ code: "custom", path, message: `no task has id ${id}` });
      else if (task.action !== "copy") ctx.addIssue({ code: "custom", path, message: `task ${id} is not a copy` });
      if (placed.has(id)) ctx.addIssue({ code: "custom", path, message: `task ${id} is in two places` });
      placed.add(id);
    };
    plan.seed.forEach((id, i) => place(id, ["seed", i]));
    plan.shards.forEach((s, k) => s.tasks.forEach((id, i) => place(id, ["shards", k, "tasks", i])));
    for (const t of plan.tasks) {
      if (t.action === "copy" && !placed.has(t.id)) ctx.addIssue({ code: "custom", path: ["tasks"], message: `copy ${t.id} is in no shard` });
    }
  });

export type Plan = z.infer<typeof planSchema>;
export type PlannedTask = Plan["tasks"][number];
export type PlannedManifest = PlannedTask["manifests"][number];

/** A plan file that cannot be used; the message names the file and the field. */
export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanError";
  }
}

/** Read and validate a plan file; every manifest must hash to its digest. Throws PlanError. */
export async function readPlan(path: string): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new PlanError(`${path}: cannot read the plan (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PlanError(`${path}: not JSON`);
  }
  const parsed = planSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PlanError(`${path}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  for (const task of parsed.data.tasks) {
    for (const m of task.manifests) {
      if (sha256(Buffer.from(m.body, "base64")) !== m.digest) throw new PlanError(`${path}: task ${task.id}: manifest ${m.digest} does not match its bytes`);
    }
  }
  return parsed.data;
}

/** Validate a plan and write it as JSON, atomically (a reader never sees half a plan). */
export async function writePlan(path: string, plan: Plan): Promise<void> {
  const valid = planSchema.parse(plan);
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify(valid)}\n`, { mode: 0o644 });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** A manifest read from the source, as the plan stores it. */
export function plannedManifest(doc: { digest: string; mediaType: string; body: Buffer }): PlannedManifest {
  return { digest: doc.digest, mediaType: doc.mediaType, body: doc.body.toString("base64") };
}

/**
 * The blobs of an image from its manifests as read, and its total size: what
 * the engine would learn by reading them again. Same rules as the engine's own read: every
 * platform manifest listed, nested indexes skipped.
 */
export function blobsOfManifests(manifests: readonly PlannedManifest[]): { blobs: Array<{ digest: string; size: number }>; size: number } {
  const docs = manifests.map((m) => ({ ...m, bytes: Buffer.from(m.body, "base64") }));
  const blobs = new Map<string, number>();
  let size = 0;
  for (const doc of docs) {
    size += doc.bytes.length;
    const parsed = parseManifest(doc.bytes, doc.mediaType);
    if (parsed.kind === "image") for (const b of parsed.blobs) blobs.set(b.digest, b.size);
  }
  const list = [...blobs].map(([d, s]) => ({ digest: d, size: s }));
  return { blobs: list, size: size + list.reduce((n, b) => n + b.size, 0) };
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}
