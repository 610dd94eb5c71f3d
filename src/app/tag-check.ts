/**
 * The part of validating a request that asks the source registries: expand its tag sets
 * (`nginx:{semver ^1.26}`) under `policy.maxTagsPerRule` before anything is written, and
 * check that each plain tag exists, suggesting the closest ones when it does not
 * (`jenkins:v2.346` -> `2.346`). Only tag lists are read, never a manifest: no pulls.
 */
import type { Config } from "../domain/config.js";
import { isTagSet } from "../domain/images-file.js";
import { planTargets } from "../domain/naming.js";
import { familiarName, type ImageReference } from "../domain/reference.js";
import { suggestTags } from "../domain/tag-rule.js";
import { credentialsFromEnv } from "../engine/credentials.js";
import { expandTagSets } from "../engine/expand.js";
import { RegistryClient } from "../engine/registry-client.js";
import { RepositoryNotFoundError, TagLister } from "../engine/tag-list.js";
import type { Problem, RequestPlan } from "./request.js";

/** Every tag of a source repository; throws when it cannot be listed. */
export type TagSource = (source: Pick<ImageReference, "domain" | "path">) => Promise<string[]>;

/** Registry calls made while a person waits for a reply are kept short. */
const REQUEST_TIMEOUT_MS = 15_000;

/**
 * Tags read straight from the source registries, with `sources[]` TLS settings and
 * credentials when their variables are set; each repository is listed once.
 */
export function registryTagSource(config: Config, env: NodeJS.ProcessEnv = process.env): TagSource {
  const clients = new Map<string, RegistryClient>();
  const clientFor = (registry: string): RegistryClient => {
    let client = clients.get(registry);
    if (!client) {
      const i = config.sources.findIndex((s) => s.registry.toLowerCase() === registry.toLowerCase());
      const source = config.sources[i];
      let credentials = null;
      try {
        credentials = source?.credentials ? credentialsFromEnv(registry, source.credentials, `sources[${i}]`, env) : null;
      } catch {
        credentials = null; // the app may run without the workflow's secrets: list anonymously
      }
      client = new RegistryClient({ registry, tlsVerify: source?.tlsVerify ?? true, credentials, timeoutMs: REQUEST_TIMEOUT_MS });
      clients.set(registry, client);
    }
    return client;
  };
  const lister = new TagLister(clientFor);
  return (source) => lister.list(source);
}

/** A request plan whose tag sets are expanded into rows, or the problems that refuse it. */
export type TagCheck = { readonly ok: true; readonly plan: RequestPlan } | { readonly ok: false; readonly problems: Problem[] };

/**
 * Expand the plan's tag sets and check its plain tags. A set over the cap, one whose
 * repository cannot be listed, one matching nothing, and a plain tag the repository does not
 * have are problems; a plain tag whose repository cannot be listed is left to the run.
 */
export async function checkRequestTags(plan: RequestPlan, config: Config, tags: TagSource): Promise<TagCheck> {
  const problems: Problem[] = [];
  const lineOf = (line: number) => plan.lines[line - 1] ?? null;
  const sets = plan.tagSets ?? [];
  let rows = plan.rows;
  if (sets.length > 0) {
    const expanded = await expandTagSets(sets, { listTags: tags, maxTagsPerRule: config.policy.maxTagsPerRule, file: "request", configFile: ".github/mirrorbot.yml" });
    for (const x of expanded.expansions) {
      if (x.error !== null || x.tags.length > 0) continue;
      problems.push({ image: lineOf(x.entry.line), message: `matches none of the ${x.available} tags of ${familiarName(x.entry.source)}` });
    }
    for (const d of expanded.diagnostics) if (d.severity === "error") problems.push({ image: lineOf(d.line), message: d.message });
    const plain = [...new Set(plan.rows.map((r) => r.entry))];
    const planned = planTargets([...plain, ...expanded.entries], config.targets, "request");
    // Plain lines were checked against each other already; what is left is a tag clashing.
    problems.push(...planned.diagnostics.map((d) => ({ image: lineOf(d.line), message: d.message })));
    rows = planned.rows;
  }
  const plainEntries = [...new Set(plan.rows.map((r) => r.entry))].filter((e) => !isTagSet(e) && e.source.tag !== undefined && e.source.digest === undefined);
  const seen = new Set<string>();
  for (const entry of plainEntries) {
    const tag = entry.source.tag!;
    const key = `${entry.source.domain}/${entry.source.path}:${tag}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let available: string[];
    try {
      available = await tags(entry.source);
    } catch (err) {
      if (err instanceof RepositoryNotFoundError) problems.push({ image: lineOf(entry.line), message: `${familiarName(entry.source)} does not exist at ${entry.source.domain}` });
      continue; // the registry may need credentials the app does not have: the run will tell
    }
    if (available.includes(tag)) continue;
    const near = suggestTags(tag, available);
    const hint = near.length > 0 ? `; did you mean ${near.map((t) => JSON.stringify(t)).join(", ")}?` : "";
    problems.push({ image: lineOf(entry.line), message: `${familiarName(entry.source)} has no tag ${JSON.stringify(tag)}${hint}` });
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, plan: { ...plan, rows } };
}
