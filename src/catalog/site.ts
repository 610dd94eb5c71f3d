/**
 * The static site: index.html (everything inline), catalog.json and badge.svg. Written to a
 * fresh temporary directory first and moved into place, so a failed build leaves `out` as it was.
 */
import { mkdir, rename, rm, writeFile, mkdtemp } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { badgeSvg } from "./badge.js";
import { pageHtml } from "./page/html.js";
import type { Catalog } from "./schema.js";
import { pageData } from "./view.js";

/** The site's files by name. */
export function siteFiles(catalog: Catalog): Record<"index.html" | "catalog.json" | "badge.svg", string> {
  return {
    "index.html": pageHtml(pageData(catalog)),
    "catalog.json": `${JSON.stringify(catalog)}\n`,
    "badge.svg": badgeSvg(catalog.summary),
  };
}

/** Write the site into directory `out` (created; files of ours in it are replaced, others kept). */
export async function writeSite(out: string, catalog: Catalog): Promise<string[]> {
  const dir = resolve(out);
  await mkdir(dirname(dir), { recursive: true });
  await mkdir(dir, { recursive: true });
  const staging = await mkdtemp(join(dir, ".staging-"));
  try {
    const files = siteFiles(catalog);
    for (const [name, text] of Object.entries(files)) await writeFile(join(staging, name), text);
    for (const name of Object.keys(files)) await rename(join(staging, name), join(dir, name));
    return Object.keys(files);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
