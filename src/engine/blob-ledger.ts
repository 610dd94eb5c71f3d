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

  /** A repository known to hold `digest`, to mount it from; undefined if none is known. */
  sourceFor(digest: string): string | undefined {
    const repos = this.locations.get(digest);
    return repos ? repos.values().next().value : undefined;
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
