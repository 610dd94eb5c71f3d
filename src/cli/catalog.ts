/**
 * `mirrorbot catalog --results DIR|FILE... [--previous catalog.json] --out DIR`: merge result
 * files into the catalogue and write the static site (index.html, catalog.json, badge.svg),
 * the same site the mirror workflow publishes on GitHub Pages, for any CI and any web server.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ZodError } from "zod";
import { catalogueDecision, pagesUrl, type Visibility } from "../catalog/enabled.js";
import { readResults, ResultFileError, resultFilesOf, type RunInput } from "../catalog/input.js";
import { mergeRuns } from "../catalog/merge.js";
import { fetchPreviousCatalog, PreviousCatalogError } from "../catalog/previous.js";
import { type Catalog, httpUrlSchema, parseCatalog } from "../catalog/schema.js";
import { writeSite } from "../catalog/site.js";
import { ConfigError, loadConfig } from "../domain/config.js";
import { type CliIo, EXIT, parseCommandArgs, resolveIo, UsageError, withUsage, writeLine } from "./args.js";

export const usage = `Usage: mirrorbot catalog --results PATH... --out DIR [--previous FILE] [options]

Merge sync results (result.json files) into the catalogue and write the static site:
index.html, catalog.json and badge.svg. See docs/catalogue.md.

Options:
  -r, --results PATH     a result.json, or a directory searched for *.json results; repeatable.
                         A result under a directory named by a run id (runs/123/result.json)
                         links to that run of --repository
  -p, --previous FILE    the catalog.json of the last build, to merge into [start empty]
      --previous-from-pages
                         fetch the previous catalog.json from the Pages site instead:
                         catalog.url, else https://<owner>.github.io/<repo>/ of
                         $GITHUB_REPOSITORY (a site that is not there yet starts empty)
      --decide           only print "enabled=true" or "enabled=false" (for $GITHUB_OUTPUT)
  -o, --out DIR          where to write the site
      --repository URL   the repository, e.g. https://github.com/octo/mirror, for the request
                         and run links [$GITHUB_SERVER_URL/$GITHUB_REPOSITORY when set]
      --visibility V     public | private | internal: with catalog.enabled "auto", only a
                         public repository gets a catalogue [no check: build it]
      --skip-invalid     warn about and skip result files that are not valid results
  -c, --config PATH      config file [.github/mirrorbot.yml if present]
  -h, --help             show this help

Exit status: 0 written (or the catalogue is turned off), 1 a result or previous file is
unusable (nothing written), 2 usage or config error.`;

const options = {
  results: { type: "string", short: "r", multiple: true },
  previous: { type: "string", short: "p" },
  "previous-from-pages": { type: "boolean" },
  decide: { type: "boolean" },
  out: { type: "string", short: "o" },
  repository: { type: "string" },
  visibility: { type: "string" },
  "skip-invalid": { type: "boolean" },
  config: { type: "string", short: "c" },
  help: { type: "boolean", short: "h" },
} as const;

const VISIBILITIES = ["public", "private", "internal"] as const;

/** The repository URL from the flag or the Actions environment; null when neither gives one. */
function repositoryUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string | null {
  const value = flag ?? (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}` : undefined);
  if (value === undefined) return null;
  const parsed = httpUrlSchema.safeParse(value);
  if (!parsed.success || !/^https?:\/\/[^/]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/?$/.test(value)) {
    throw new UsageError(`--repository: expected the repository's address such as "https://github.com/octo/mirror", got ${JSON.stringify(value)}`);
  }
  return value.replace(/\/$/, "");
}

async function readPrevious(file: string): Promise<Catalog> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ResultFileError(file, (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : "cannot read");
  }
  try {
    return parseCatalog(JSON.parse(text));
  } catch (err) {
    const why = err instanceof ZodError ? `${err.issues[0]?.path.join(".") || "(top level)"}: ${err.issues[0]?.message}` : (err as Error).message;
    throw new ResultFileError(file, `not a catalog.json this version reads: ${why}`);
  }
}

/** Read each --results path on its own, so --skip-invalid can drop one file and keep the rest. */
async function readAll(paths: readonly string[], repository: string | null, skipInvalid: boolean, io: CliIo): Promise<RunInput[]> {
  if (!skipInvalid) return readResults(paths, { repository });
  const runs: RunInput[] = [];
  for (const path of paths) {
    for (const file of await resultFilesOf(path)) {
      try {
        runs.push(...(await readResults([file.file], { repository, root: file.root })));
      } catch (err) {
        if (!(err instanceof ResultFileError)) throw err;
        writeLine(io.stderr, `mirrorbot catalog: warning: skipped ${err.message}`);
      }
    }
  }
  return runs;
}

/** Run `mirrorbot catalog` with the arguments after "catalog". */
export async function run(argv: string[], ioArg: Partial<CliIo> = {}, env: NodeJS.ProcessEnv = process.env, fetchImpl: typeof fetch = fetch): Promise<number> {
  const io = resolveIo(ioArg);
  return withUsage("catalog", io, async () => {
    const { values } = parseCommandArgs(argv, options, 0);
    if (values.help) {
      writeLine(io.stdout, usage);
      return EXIT.ok;
    }
    const visibility = values.visibility ?? null;
    if (visibility !== null && !(VISIBILITIES as readonly string[]).includes(visibility)) {
      throw new UsageError(`--visibility: expected one of ${VISIBILITIES.join(", ")}, got ${JSON.stringify(visibility)}`);
    }
    if (!values.decide) {
      if (values.out === undefined) throw new UsageError("missing --out DIR");
      if (values.results === undefined || values.results.length === 0) throw new UsageError("missing --results PATH");
      if (values.previous !== undefined && values["previous-from-pages"]) throw new UsageError("--previous and --previous-from-pages exclude each other");
      if (values["previous-from-pages"] && !env.GITHUB_REPOSITORY) throw new UsageError("--previous-from-pages needs $GITHUB_REPOSITORY (owner/name)");
    }
    const repository = repositoryUrl(values.repository, env);
    let config;
    try {
      config = await loadConfig(values.config, { cwd: io.cwd });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      writeLine(io.stderr, err.message);
      return EXIT.usage;
    }
    const decision = catalogueDecision(config.catalog, visibility as Visibility);
    if (values.decide) {
      writeLine(io.stdout, `enabled=${decision.enabled}`);
      writeLine(io.stderr, `The catalogue is ${decision.enabled ? "on" : "off"}: ${decision.reason}.`);
      return EXIT.ok;
    }
    if (values.out === undefined || values.results === undefined) return EXIT.usage; // checked above
    if (!decision.enabled) {
      writeLine(io.stdout, `The catalogue is off: ${decision.reason}. Nothing written.`);
      return EXIT.ok;
    }
    try {
      const paths = values.results.map((p) => resolve(io.cwd, p));
      const previous = values["previous-from-pages"]
        ? await fetchPreviousCatalog(pagesUrl(config.catalog.url, env.GITHUB_REPOSITORY ?? ""), { fetch: fetchImpl })
        : values.previous === undefined
          ? null
          : await readPrevious(resolve(io.cwd, values.previous));
      const runs = await readAll(paths, repository, values["skip-invalid"] ?? false, io);
      const catalog = mergeRuns(previous, runs, { now: new Date(), repository });
      const out = resolve(io.cwd, values.out);
      await writeSite(out, catalog);
      const s = catalog.summary;
      writeLine(io.stdout, `Catalogue: ${s.images} image${s.images === 1 ? "" : "s"} (${s.fresh} fresh, ${s.behind} behind, ${s.failed} failed) from ${runs.length} result file${runs.length === 1 ? "" : "s"}${previous ? " and the previous catalogue" : ""}; wrote index.html, catalog.json and badge.svg to ${values.out}`);
      return EXIT.ok;
    } catch (err) {
      if (!(err instanceof ResultFileError || err instanceof PreviousCatalogError)) throw err;
      const keep = err instanceof PreviousCatalogError ? ", so the deployed catalogue keeps every image it has" : "";
      writeLine(io.stderr, `mirrorbot catalog: ${err.message}; nothing written${keep}`);
      return EXIT.findings;
    }
  });
}
