/**
 * The status badge for README files: "mirror | 2,000 images, 3 behind", green when nothing is
 * behind or failed. Only numbers and our own words go into it, so there is nothing to escape.
 */
import type { Catalog } from "./schema.js";

// Verdana 11px advance widths are what shields-style badges assume; an average per glyph
// keeps the badge dependency-free and close enough for digits and a few words.
const CHAR_WIDTH = 6.6;

/** The badge's SVG text. */
export function badgeSvg(summary: Catalog["summary"]): string {
  const label = "mirror";
  const notFresh = summary.behind + summary.failed;
  const parts = [`${summary.images.toLocaleString("en-US")} images`];
  if (summary.behind > 0) parts.push(`${summary.behind.toLocaleString("en-US")} behind`);
  if (summary.failed > 0) parts.push(`${summary.failed.toLocaleString("en-US")} failed`);
  const message = parts.join(", ");
  const color = summary.failed > 0 ? "#e05d44" : notFresh > 0 ? "#dfb317" : "#4c1";
  const lw = Math.round(label.length * CHAR_WIDTH + 10);
  const mw = Math.round(message.length * CHAR_WIDTH + 10);
  const w = lw + mw;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${label}: ${message}">
<title>${label}: ${message}</title>
<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${mw}" height="20" fill="${color}"/><rect width="${w}" height="20" fill="url(#s)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
<text x="${lw / 2}" y="14">${label}</text><text x="${lw + mw / 2}" y="14">${message}</text>
</g>
</svg>
`;
}
