/**
 * What the engine knows about blobs in one target registry: which repositories hold each
 * blob, and which blobs an in-flight copy is uploading right now.
 *
 * skopeo on a fresh runner knows nothing of the target and uploads every blob it cannot
 * find in the destination repository. The ledger lets the engine mount a blob from a
 * repository that has it, and keep two copies from uploading the same blob at once.
 */
export class BlobLedger {
  private readonly locations = new Map<string, Set<string>>();
  private readonly uploads = new Map<string, number>();
  /** Per digest, the repositories the registry refused to mount it from. */
  private readonly refused = new Map<string, Set<string>>();

  /** Note that `repo` holds `digest`. */
  record(digest: string, repo: string): void {
    let repos = this.locations.get(digest);
    if (!repos) this.locations.set(digest, (repos = new Set()));
    repos.add(repo);
  }

  /** True when `repo` is known to hold `digest`. */
  has(digest: string, repo: string): boolean {
    return this.locations.get(digest)?.has(repo) ?? false;
  }

  /**
   * A repository known to hold `digest` that has not refused to lend it, to mount it from;
   * undefined if none is known. For a copy into `into`, the one sharing the longest path with
   * it goes first: registries such as Harbor mount only within a project.
   * @example sourceFor(d, "team-a/app") // "team-a/base" before "team-b/base"
   */
  sourceFor(digest: string, into?: string): string | undefined {
    const refused = this.refused.get(digest);
    let best: string | undefined;
    let bestShared = -1;
    for (const repo of this.locations.get(digest) ?? []) {
      if (refused?.has(repo)) continue;
      // Without a destination any lender will do (the scheduler only asks whether there is one).
      if (into === undefined) return repo;
      const shared = sharedSegments(repo, into);
      if (shared > bestShared) {
        best = repo;
        bestShared = shared;
      }
    }
    return best;
  }

  /** Note that the registry refused (or failed) to mount `digest` from `repo`: do not ask again. */
  refuse(digest: string, repo: string): void {
    let repos = this.refused.get(digest);
    if (!repos) this.refused.set(digest, (repos = new Set()));
    repos.add(repo);
  }

  /** True when some in-flight task other than `taskId` is uploading `digest`. */
  uploadingElsewhere(digest: string, taskId: number): boolean {
    const owner = this.uploads.get(digest);
    return owner !== undefined && owner !== taskId;
  }

  /** Mark blobs as being uploaded by `taskId`. */
  claim(taskId: number, digests: Iterable<string>): void {
    for (const d of digests) if (!this.uploads.has(d)) this.uploads.set(d, taskId);
  }

  /** Drop every claim `taskId` holds, whether its copy succeeded or not. */
  release(taskId: number): void {
    for (const [d, owner] of this.uploads) if (owner === taskId) this.uploads.delete(d);
  }
}

/** How many leading path segments two repository names share. */
function sharedSegments(a: string, b: string): number {
  const x = a.split("/");
  const y = b.split("/");
  let n = 0;
  while (n < x.length - 1 && n < y.length - 1 && x[n] === y[n]) n++;
  return n;
}
