import type { Registries } from "./registries.js";
import type { SyncTask } from "./tasks.js";

/**
 * Whether a target repository already holds images, learned as cheaply as a run allows: for
 * free when a task of the run found a tag there, else with one one-tag listing per repository.
 * Blob HEADs only find something in such a repository, so a new one (every one, on a first
 * mirror) costs one request instead of a HEAD per blob. A repository that cannot be listed
 * is assumed to hold images: checking its blobs is always safe.
 */
export class RepositoryProbe {
  private readonly known = new Set<string>();
  private readonly asked = new Map<string, Promise<boolean>>();

  constructor(private readonly registries: Registries) {}

  /** A task found a tag in its target repository. */
  found(task: SyncTask): void {
    this.known.add(keyOf(task));
  }

  /** Start asking now, while other work is in flight; `holdsImages` then answers at once. */
  prefetch(task: SyncTask): void {
    void this.holdsImages(task);
  }

  /** True when the task's target repository holds at least one tagged image. */
  holdsImages(task: SyncTask): Promise<boolean> {
    const key = keyOf(task);
    if (this.known.has(key)) return Promise.resolve(true);
    let answer = this.asked.get(key);
    if (!answer) {
      answer = this.registries.get(task.target.registry).client.hasTags(task.targetRepo).catch(() => true);
      this.asked.set(key, answer);
    }
    return answer.then((holds) => holds || this.known.has(key));
  }
}

function keyOf(task: SyncTask): string {
  return `${task.target.registry}/${task.targetRepo}`;
}
