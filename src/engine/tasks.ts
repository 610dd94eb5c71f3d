import type { TargetConfig } from "../domain/config.js";
import type { ImageEntry } from "../domain/images-file.js";
import type { PlannedTarget } from "../domain/naming.js";
import type { Platform } from "../domain/platform.js";
import { type ImageReference, parseReference } from "../domain/reference.js";

/** One copy to consider: an image list entry in one target registry. */
export interface SyncTask {
  id: number;
  entry: ImageEntry;
  /** 1-based images.txt line, or null for entries that came from outside the file. */
  line: number | null;
  source: ImageReference;
  platform: Platform | null;
  target: TargetConfig;
  /** Full target reference, e.g. "registry.example.com/mirror/nginx:1.26". */
  targetReference: string;
  /** Repository path inside the target registry, e.g. "mirror/nginx". */
  targetRepo: string;
  targetTag: string;
}

/**
 * Turn naming's rows into tasks. `lineOf` gives the images.txt line a result should name;
 * entries that came from elsewhere (the workflow's `images` input) may have none.
 */
export function buildTasks(rows: readonly PlannedTarget[], lineOf: (entry: ImageEntry) => number | null = (e) => e.line): SyncTask[] {
  return rows.map((row, id) => {
    const ref = parseReference(row.reference);
    return {
      id,
      entry: row.entry,
      line: lineOf(row.entry),
      source: row.entry.source,
      platform: row.entry.platform,
      target: row.target,
      targetReference: row.reference,
      targetRepo: ref.path,
      targetTag: ref.tag ?? "latest",
    };
  });
}

/** "repo:tag" or "repo@digest" as the registry API wants the reference part. */
export function sourceManifestRef(source: ImageReference): string {
  // A digest pins the content: a moved tag must not change what is copied.
  return source.digest ?? source.tag ?? "latest";
}
