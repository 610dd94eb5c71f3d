import type { BlobLedger } from "./blob-ledger.js";

/** A blob a copy will need at its target repository. */
export interface BlobNeed {
  digest: string;
  size: number;
}

/** The part of a copy job the scheduler looks at. */
export interface SchedulableJob {
  id: number;
  /** Target registry host; with `repo` it names the repository a copy writes to. */
  target: string;
  /** Target repository, e.g. "mirror/nginx". */
  repo: string;
  /** The ledger of the job's target registry. */
  ledger: BlobLedger;
  /** Every blob the image references (config and layers of every platform copied). */
  blobs: BlobNeed[];
}

/** Blobs the job would have to upload: not in its repository and not mountable from another. */
export function blobsToUpload(job: SchedulableJob): BlobNeed[] {
  return job.blobs.filter((b) => !job.ledger.has(b.digest, job.repo) && job.ledger.sourceFor(b.digest) === undefined);
}

/** A job may start when no in-flight copy is uploading a blob it would otherwise upload too. */
export function canStart(job: SchedulableJob): boolean {
  return blobsToUpload(job).every((b) => !job.ledger.uploadingElsewhere(b.digest, job.id));
}

/** One copy per target repository at a time: distribution races when two PUT the same manifests into one repository. */
export function repositoryKey(job: SchedulableJob): string {
  return `${job.target}/${job.repo}`;
}

/**
 * Pick the next job to start, or undefined when every waiting job must wait.
 *
 * A job never starts while another copy into the same repository is in flight: two skopeo
 * runs pushing the same index under two tags of one repository race in distribution's
 * storage ("manifest blob unknown", or a manifest list stored under a new digest).
 *
 * Among startable jobs it prefers the one that unblocks the most waiting work per byte it
 * uploads: the bytes of its uploads that other waiting jobs also need, divided by all the
 * bytes it uploads (Smith's rule, shortest weighted job first). A small image carrying the
 * shared base layer goes before a multi-arch one carrying it too, so the jobs waiting on
 * that layer start after 25 MB instead of after 70.
 */
export function pickNext<J extends SchedulableJob>(waiting: readonly J[], busyRepositories: ReadonlySet<string> = new Set()): J | undefined {
  const demand = new Map<string, number>();
  for (const job of waiting) {
    for (const b of job.blobs) demand.set(b.digest, (demand.get(b.digest) ?? 0) + 1);
  }
  let best: J | undefined;
  let bestScore = -1;
  for (const job of waiting) {
    if (busyRepositories.has(repositoryKey(job)) || !canStart(job)) continue;
    const uploads = blobsToUpload(job);
    const bytes = uploads.reduce((sum, b) => sum + b.size, 0);
    // demand counts the job itself, so a blob nobody else needs unblocks nothing.
    const shared = uploads.reduce((sum, b) => sum + b.size * ((demand.get(b.digest) ?? 1) - 1), 0);
    const score = bytes === 0 ? 0 : shared / bytes;
    if (score > bestScore) {
      best = job;
      bestScore = score;
    }
  }
  return best;
}
