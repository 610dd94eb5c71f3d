/**
 * Whether a failed `skopeo copy` is worth retrying, learned from the registries rather than
 * from skopeo's text: skopeo exits 1 for every failure, and matching its messages misread
 * tags such as `37.404.0` as HTTP statuses. After a failure the engine asks both registries
 * with its own client, which reports HTTP statuses and registry error codes: the source must
 * still serve the manifest, and the target must still accept an upload into the repository
 * (one upload session, opened and cancelled). A refusal there is permanent and named; anything
 * else leaves the failure transient.
 *
 * The limit: a permanent failure only skopeo meets (a blob the source lists but refuses, a
 * manifest the target rejects) looks transient here and costs the retry budget before it fails.
 */
import { type Registries } from "./registries.js";
import { RegistryError } from "./registry-client.js";
import { explain } from "./resolve.js";
import type { SyncTask } from "./tasks.js";

/** A failure the registries confirm will not pass by retrying. */
export class PermanentCopyError extends Error {
  override readonly name = "PermanentCopyError";
  readonly transient = false;
}

/** Ask both registries why a copy of `task` (source pinned at `sourceDigest`) may have failed; throws a PermanentCopyError when one refuses. */
export async function diagnoseSkopeoFailure(task: SyncTask, sourceDigest: string, registries: Registries): Promise<void> {
  const source = registries.get(task.source.domain).client;
  const target = registries.get(task.target.registry).client;
  try {
    const head = await source.headManifest(task.source.path, sourceDigest);
    if (head === null) throw new PermanentCopyError(`source not found: ${task.source.domain}/${task.source.path}@${sourceDigest}`);
  } catch (error) {
    if (error instanceof RegistryError && !error.transient) throw new PermanentCopyError(explain(error, "source", task, registries));
    if (error instanceof PermanentCopyError) throw error;
  }
  try {
    const location = await target.startUpload(task.targetRepo);
    await target.cancelUpload(task.targetRepo, location);
  } catch (error) {
    if (error instanceof RegistryError && !error.transient) throw new PermanentCopyError(explain(error, "target", task, registries));
  }
}
