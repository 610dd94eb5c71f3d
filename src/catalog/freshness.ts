/**
 * Freshness is derived, never merged: from what the target holds, what the last run did to it,
 * and the newest upstream digest any run saw (a later run for another target, or a check that
 * found upstream moved, makes a target that was fresh behind).
 */
import type { CatalogImage, CatalogTarget, Freshness, FreshnessState } from "./schema.js";

/** How fresh one target of `image` is. */
export function targetFreshness(image: Pick<CatalogImage, "upstream">, target: Omit<CatalogTarget, "freshness">): Freshness {
  if (target.lastStatus === "failed") return { state: "failed", reason: target.error ?? "the run gave no reason", run: target.run };
  const upstream = image.upstream.digest;
  if (upstream !== null && target.digest !== null && target.digest !== upstream) {
    return { state: "behind", reason: `upstream is ${upstream} since ${image.upstream.checkedAt ?? "an unknown time"}; the target holds ${target.digest}`, run: image.upstream.run };
  }
  return { state: "fresh", reason: null, run: target.run };
}

/** A row's state: failed when any target failed, else behind when any is behind, else fresh. */
export function imageFreshness(image: Pick<CatalogImage, "targets">): FreshnessState {
  const states = new Set(image.targets.map((t) => t.freshness.state));
  return states.has("failed") ? "failed" : states.has("behind") ? "behind" : "fresh";
}
