/**
 * The page's HTML: a fixed skeleton (no data in markup), the data as a JSON island the script
 * reads with JSON.parse, and a Content-Security-Policy that lets only this inline script and
 * style run, so even a bug that let data reach the DOM as HTML could not run script.
 */
import { createHash } from "node:crypto";
import { PAGE_SCRIPT } from "./script.js";
import { STRINGS } from "./strings.js";
import { PAGE_STYLE } from "./style.js";

/** JSON that can sit inside <script type="application/json">: nothing in it can close the element. */
export function jsonIsland(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const hash = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

/** The whole index.html for `data` (the page's rows, see view.ts). */
export function pageHtml(data: unknown): string {
  const csp = [
    "default-src 'none'",
    `script-src ${hash(PAGE_SCRIPT)}`,
    `style-src ${hash(PAGE_STYLE)}`,
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>mirrorbot catalogue</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header class="top">
<h1 data-i18n="title">Mirrored images</h1>
<img src="badge.svg" alt="" height="20">
<span class="spacer"></span>
<a id="another" href="#" target="_blank" rel="noopener noreferrer" data-i18n="mirrorAnother" hidden>Mirror another image</a>
<button id="language" type="button" data-i18n="language">中文</button>
<p id="summary"></p>
</header>
<div class="controls">
<input id="search" type="search" autocomplete="off" spellcheck="false" data-i18n-placeholder="search" data-i18n-label="searchLabel">
<label><span data-i18n="registry">Registry</span> <select id="registry"><option value="">All</option></select></label>
<label><span data-i18n="status">Status</span> <select id="status"><option value="">All</option><option value="fresh">fresh</option><option value="behind">behind</option><option value="failed">failed</option></select></label>
<label><span data-i18n="platform">Platform</span> <select id="platform"><option value="">All</option></select></label>
<span id="count" aria-live="polite"></span>
</div>
<main>
<div id="list"></div>
<p id="empty" data-i18n="none" hidden>No image matches.</p>
<button id="more" type="button" data-i18n="more" hidden>Show more</button>
</main>
<script type="application/json" id="catalog-strings">${jsonIsland(STRINGS)}</script>
<script type="application/json" id="catalog-data">${jsonIsland(data)}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
