/**
 * The id of a catalogue row, which is also its anchor on the page: the app links a request's
 * images to their rows with it, so both sides must compute it the same way.
 */

/**
 * The row id of a source reference and platform.
 * @example rowId("docker.io/library/nginx:1.26", "linux/arm64") // "docker.io/library/nginx:1.26|linux/arm64"
 */
export function rowId(source: string, platform: string | null): string {
  return platform === null ? source : `${source}|${platform}`;
}

/**
 * The link to a row on the page at `pageUrl`.
 * @example rowLink("https://octo.github.io/mirror/", "docker.io/library/nginx:1.26", null)
 *   // "https://octo.github.io/mirror/#docker.io%2Flibrary%2Fnginx%3A1.26"
 */
export function rowLink(pageUrl: string, source: string, platform: string | null): string {
  const base = pageUrl.replace(/#.*$/, "");
  return `${base}#${encodeURIComponent(rowId(source, platform))}`;
}
