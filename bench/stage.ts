/**
 * The bench's servers and files: source registries, fresh targets (empty, or restored from a
 * snapshot of a target that already mirrors a set), WAN proxies, and the one work directory
 * holding the OCI layout and the snapshots. Everything started here is stopped by `dispose`,
 * by process id, also when the bench is interrupted.
 */
import { randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRegistry, type RegistryAuth, type RunningRegistry } from "../test/harness/registry.js";
import type { LayerSizes } from "./options.js";
import { buildSet, pushSet, TARGET_NAMESPACE, type ImageSet } from "./sets.js";
import { startWanProxy, type WanOptions, type WanProxy } from "./wan-proxy.js";

/** 50 ms each way (100 ms RTT), 100 Mbit/s each way. */
export const WAN: WanOptions = { delayMs: 50, bytesPerSecond: 100_000_000 / 8 };

/** Owns every server and file the bench creates. */
export class Stage {
  readonly layoutDir: string;
  private readonly registries = new Set<RunningRegistry>();
  private readonly proxies = new Set<WanProxy>();
  private readonly sets = new Map<ImageSet["id"], ImageSet>();
  private readonly snapshots = new Map<ImageSet["id"], string>();
  /** The target's credentials: random per bench run, never printed. */
  readonly targetAuth: RegistryAuth = { username: "bench", password: randomBytes(18).toString("base64url") };

  private constructor(
    readonly workDir: string,
    private readonly sizes: LayerSizes,
    private readonly noopTagsPerRepo: number,
  ) {
    this.layoutDir = join(workDir, "layout");
  }

  /** Create the work directory under the system temp dir. */
  static async create(sizes: LayerSizes, noopTagsPerRepo: number): Promise<Stage> {
    return new Stage(await mkdtemp(join(tmpdir(), "mirrorbot-bench-")), sizes, noopTagsPerRepo);
  }

  /** Build a set once (the 1 GB layer included) and keep it for the rest of the run. */
  async set(id: ImageSet["id"]): Promise<ImageSet> {
    let set = this.sets.get(id);
    if (!set) {
      set = await buildSet(id, this.layoutDir, this.sizes, this.noopTagsPerRepo);
      this.sets.set(id, set);
    }
    return set;
  }

  /** Pids of every registry running now, to keep them out of a method's process tree. */
  registryPids(): Set<number> {
    return new Set([...this.registries].map((r) => r.pid));
  }

  /** Start a registry and remember it for dispose(). */
  async registry(auth?: RegistryAuth): Promise<RunningRegistry> {
    const reg = await startRegistry(auth ? { auth } : {});
    this.registries.add(reg);
    return reg;
  }

  /** Stop a registry (its storage goes with it). */
  async stop(reg: RunningRegistry): Promise<void> {
    await reg.stop();
    this.registries.delete(reg);
  }

  /** A source registry serving `set` without auth. */
  async source(set: ImageSet): Promise<RunningRegistry> {
    const reg = await this.registry();
    await pushSet(set, this.layoutDir, reg);
    return reg;
  }

  /** A WAN proxy in front of `reg`. */
  async wan(reg: RunningRegistry): Promise<WanProxy> {
    const port = Number(reg.host.split(":")[1]);
    const proxy = await startWanProxy(port, WAN);
    this.proxies.add(proxy);
    return proxy;
  }

  async closeProxy(proxy: WanProxy): Promise<void> {
    await proxy.close();
    this.proxies.delete(proxy);
  }

  /**
   * A fresh target with auth: empty, or already mirroring `initial` under mirror/. The mirrored
   * state is pushed once into a snapshot, then copied into each new target's storage before
   * anything talks to it (distribution keeps no state but its storage directory).
   */
  async target(initial: ImageSet | null): Promise<RunningRegistry> {
    const snapshot = initial ? await this.snapshot(initial) : null;
    const reg = await this.registry(this.targetAuth);
    if (snapshot) await cp(snapshot, join(reg.dir, "storage"), { recursive: true });
    return reg;
  }

  private async snapshot(set: ImageSet): Promise<string> {
    const known = this.snapshots.get(set.id);
    if (known) return known;
    const reg = await this.registry(this.targetAuth);
    try {
      await pushSet(set, this.layoutDir, reg, TARGET_NAMESPACE);
      const dir = join(this.workDir, "snapshots", set.id);
      await mkdir(join(this.workDir, "snapshots"), { recursive: true });
      await cp(join(reg.dir, "storage"), dir, { recursive: true });
      this.snapshots.set(set.id, dir);
      return dir;
    } finally {
      await this.stop(reg);
    }
  }

  /** Stop every registry and proxy still running and remove the work directory. Safe to call twice. */
  async dispose(): Promise<void> {
    await Promise.allSettled([...this.proxies].map((p) => p.close()));
    await Promise.allSettled([...this.registries].map((r) => r.stop()));
    this.proxies.clear();
    this.registries.clear();
    await rm(this.workDir, { recursive: true, force: true });
  }
}
