/**
 * Which manifest each platform has in a source index, remembered between runs by the
 * index's digest. A digest names exact bytes, so an entry can never go stale: when a tag
 * moves, its HEAD answers a new digest, which is simply not in the cache yet. With it a
 * no-op run of a `--platform` entry needs only HEADs at the source: no manifest GET, which
 * Docker Hub would count as a pull.
 *
 * A JSON file in the user's cache directory (MIRRORBOT_CACHE_DIR, else
 * $XDG_CACHE_HOME/mirrorbot, else ~/.cache/mirrorbot). A missing, unreadable or foreign
 * file is an empty cache: it only ever saves requests.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

const FILE = "platform-manifests.json";
/** Entries kept; the oldest go first. Each is ~200 bytes. */
const MAX_ENTRIES = 5000;

const entrySchema = z.object({
  digest: z.string().regex(/^[a-z0-9]+:[a-f0-9]+$/).describe("digest of the platform's manifest in the index"),
  mediaType: z.string().describe("media type of that manifest"),
});
const fileSchema = z.object({
  version: z.literal(1).describe("format version"),
  entries: z.record(z.string(), entrySchema).describe('"<registry>/<repository>@<index digest> <os/arch[/variant]>" -> the platform manifest'),
});

/** The platform manifest of one index. */
export type PlatformManifest = z.infer<typeof entrySchema>;

/** The cache directory for this environment, or null when there is no home to put it in. */
export function platformCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.MIRRORBOT_CACHE_DIR) return env.MIRRORBOT_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "mirrorbot");
  const home = env.HOME ?? homedir();
  return home ? join(home, ".cache", "mirrorbot") : null;
}

/** Index digest + platform -> platform manifest, loaded once per run and saved at its end. */
export class PlatformCache {
  private changed = false;

  private constructor(
    private readonly dir: string | null,
    private readonly entries: Map<string, PlatformManifest>,
  ) {}

  /** Load the cache in `dir` (null: remember for this run only). */
  static async open(dir: string | null): Promise<PlatformCache> {
    if (dir === null) return new PlatformCache(null, new Map());
    try {
      const parsed = fileSchema.safeParse(JSON.parse(await readFile(join(dir, FILE), "utf8")));
      return new PlatformCache(dir, new Map(parsed.success ? Object.entries(parsed.data.entries) : []));
    } catch {
      return new PlatformCache(dir, new Map());
    }
  }

  /** The manifest `platform` has in index `indexDigest` of `repository` ("host/path"), if known. */
  get(repository: string, indexDigest: string, platform: string): PlatformManifest | undefined {
    return this.entries.get(key(repository, indexDigest, platform));
  }

  /** Remember what the index said. */
  set(repository: string, indexDigest: string, platform: string, manifest: PlatformManifest): void {
    const k = key(repository, indexDigest, platform);
    if (this.entries.get(k)?.digest === manifest.digest) return;
    this.entries.delete(k);
    this.entries.set(k, manifest);
    this.changed = true;
  }

  /** Write the file when something was learned; a failure to write only costs GETs next time. */
  async save(): Promise<void> {
    if (!this.changed || this.dir === null) return;
    const kept = [...this.entries].slice(-MAX_ENTRIES);
    try {
      await mkdir(this.dir, { recursive: true });
      const temp = join(this.dir, `${FILE}.${process.pid}.tmp`);
      await writeFile(temp, JSON.stringify({ version: 1, entries: Object.fromEntries(kept) }));
      await rename(temp, join(this.dir, FILE));
      this.changed = false;
    } catch {
      // A read-only home or a full disk must not fail the sync.
    }
  }
}

function key(repository: string, indexDigest: string, platform: string): string {
  return `${repository}@${indexDigest} ${platform}`;
}
