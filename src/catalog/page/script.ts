/**
 * The page's script, shipped as text and inlined so the page needs no bundler and no other
 * request; the browser test (test/catalog/browser.test.ts) runs every path of it in Chromium.
 *
 * Rules it keeps: every text from the data is set with textContent (never parsed as HTML), and
 * bidi and other invisible format characters are shown as <U+XXXX> so they cannot reorder what
 * people read or copy; the only links are ones it builds: the repository's issue form and its
 * own Actions runs (http(s) only, checked), and in-page anchors.
 */
export const PAGE_SCRIPT = String.raw`(() => {
  "use strict";
  performance.mark("catalogue-script"); // bench/catalogue.ts: the script's own work starts here
  const readJson = (id) => JSON.parse(document.getElementById(id).textContent);
  const data = readJson("catalog-data");
  const STRINGS = readJson("catalog-strings");
  const rows = data.rows;
  const BATCH = 30; // rows drawn at a time: a screenful or two; more as the reader scrolls

  // ---- words -----------------------------------------------------------------------------
  const stored = (() => { try { return localStorage.getItem("mirrorbot-lang"); } catch { return null; } })();
  let lang = stored === "en" || stored === "zh" ? stored : /^zh\b/i.test(navigator.language || "") ? "zh" : "en";
  const t = (key, vars) => {
    const text = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
    return vars ? text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : text;
  };
  const number = (n) => n.toLocaleString(lang === "zh" ? "zh-CN" : "en-US");

  // ---- safe text and links ---------------------------------------------------------------
  const FORMAT_CHARS = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
  const visible = (s) => String(s).replace(FORMAT_CHARS, (c) => "<U+" + c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0") + ">");
  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = visible(text);
    return node;
  };
  const httpUrl = (u) => {
    try {
      const url = new URL(u);
      return url.protocol === "https:" || url.protocol === "http:" ? url : null;
    } catch {
      return null;
    }
  };
  const repository = (() => {
    const url = typeof data.repository === "string" ? httpUrl(data.repository) : null;
    return url && /^\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/?$/.test(url.pathname) && !url.search && !url.hash ? url.origin + url.pathname.replace(/\/$/, "") : null;
  })();
  const runLink = (u) => {
    const url = typeof u === "string" ? httpUrl(u) : null;
    if (!url || repository === null) return null;
    const href = url.origin + url.pathname;
    const prefix = repository + "/actions/runs/";
    return href.startsWith(prefix) && /^\d{1,20}$/.test(href.slice(prefix.length)) ? href : null;
  };
  const issueLink = (line) => {
    if (repository === null) return null;
    const query = new URLSearchParams({ template: "mirror.yml" });
    if (line) {
      query.set("title", "Mirror: " + visible(line));
      query.set("images", visible(line));
    }
    return repository + "/issues/new?" + query.toString();
  };
  const link = (href, text, className) => {
    const a = el("a", className, text);
    a.href = href;
    if (!href.startsWith("#")) {
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
    return a;
  };

  // ---- formatting ------------------------------------------------------------------------
  const when = (iso) => {
    if (!iso) return t("never");
    const d = new Date(iso);
    return isNaN(d) ? t("never") : d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  };
  const size = (bytes) => {
    if (bytes === null || bytes === undefined) return "-";
    const units = ["B", "kB", "MB", "GB", "TB"];
    let v = bytes, u = 0;
    while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
    return u === 0 ? bytes + " B" : v.toFixed(1) + " " + units[u];
  };
  const short = (digest) => {
    if (!digest) return "-";
    const i = digest.indexOf(":");
    return i === -1 ? digest.slice(0, 12) : digest.slice(0, i + 13);
  };

  // ---- search and filters ----------------------------------------------------------------
  const hay = rows.map((r) =>
    [r.source, r.short, r.platform, r.rule, r.registry, r.upstream.digest, ...r.targets.flatMap((x) => [x.name, x.reference, x.digest])]
      .filter(Boolean).join("\n").toLowerCase());
  const $ = (id) => document.getElementById(id);
  const search = $("search"), registry = $("registry"), status = $("status"), platform = $("platform");
  const list = $("list"), count = $("count"), more = $("more"), empty = $("empty");
  let matches = [];
  let shown = 0;
  let highlight = null;

  const fillSelect = (select, values) => {
    for (const v of values) {
      const option = el("option", null, v);
      option.value = v;
      select.append(option);
    }
  };
  fillSelect(registry, [...new Set(rows.map((r) => r.registry))].sort());
  fillSelect(platform, [...new Set(rows.flatMap((r) => r.platforms))].sort());

  const computeMatches = () => {
    const terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const reg = registry.value, st = status.value, pf = platform.value;
    matches = [];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (reg && r.registry !== reg) continue;
      if (st && r.state !== st) continue;
      if (pf && !r.platforms.includes(pf)) continue;
      if (terms.length && !terms.every((term) => hay[i].includes(term))) continue;
      matches.push(i);
    }
  };
  const redraw = (upTo) => {
    list.replaceChildren();
    shown = 0;
    showMore(upTo);
  };
  const filter = () => {
    computeMatches();
    redraw();
  };

  // ---- rows ------------------------------------------------------------------------------
  const copyText = async (text) => {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      const area = el("textarea");
      area.value = text;
      document.body.append(area);
      area.select();
      const ok = document.execCommand("copy");
      area.remove();
      return ok;
    }
  };
  const copyButton = (text) => {
    const button = el("button", "copy", t("copy"));
    button.type = "button";
    button.dataset.copy = text;
    button.addEventListener("click", async () => {
      if (await copyText(text)) {
        button.textContent = t("copied");
        setTimeout(() => { button.textContent = t("copy"); }, 1500);
      }
    });
    return button;
  };
  const pill = (state) => el("span", "pill " + state, t(state));
  const labelled = (key, value) => el("span", null, t(key) + ": " + value);

  const renderTarget = (r, x) => {
    const li = el("li");
    const head = el("div", "target-head");
    head.append(el("span", "target-name", x.name), pill(x.state));
    const meta = el("div", "target-meta");
    meta.append(labelled("digest", short(x.digest)), labelled("size", size(x.size)), labelled("lastCopied", when(x.lastCopied)), labelled("lastChecked", when(x.lastChecked)));
    if (x.digest) meta.children[0].title = visible(x.digest);
    li.append(head, meta);
    if (x.state !== "fresh") {
      const reason = el("div", "reason " + x.state, x.state === "behind" ? t("behindReason", { digest: short(r.upstream.digest), time: when(r.upstream.checkedAt) }) : x.reason);
      const run = runLink(x.run);
      if (run) reason.append(" (", link(run, t("run")), ")");
      li.append(reason);
    }
    const lines = ["docker pull " + visible(x.reference)];
    if (r.tagBack) lines.push("docker tag " + visible(x.reference) + " " + visible(r.tagBack));
    const text = lines.join("\n");
    const cmd = el("div", "cmd");
    const pre = el("pre");
    pre.append(el("code", null, text));
    cmd.append(pre, copyButton(text));
    li.append(cmd);
    return li;
  };

  const renderRow = (i) => {
    const r = rows[i];
    const row = el("article", "row");
    row.id = r.id;
    row.dataset.state = r.state;
    const head = el("div", "row-head");
    const title = el("h2", null, r.short);
    title.title = visible(r.source);
    head.append(link("#" + encodeURIComponent(r.id), "#", "anchor"), title, pill(r.state));
    if (r.platform) head.append(el("span", "tag", r.platform));
    const refresh = issueLink(r.request);
    if (refresh) head.append(link(refresh, t("refresh"), "refresh"));
    const meta = el("div", "meta");
    meta.append(labelled("platforms", r.platforms.length ? r.platforms.join(", ") : t("allPlatforms")), labelled("upstream", short(r.upstream.digest) + " · " + when(r.upstream.checkedAt)));
    row.append(head, meta);
    if (r.rule) {
      const details = el("details", "rule-tags");
      details.append(el("summary", null, t("rule") + ": " + r.rule + " · " + t("matched", { count: number(r.ruleTags.length) })), el("div", null, r.ruleTags.join(", ")));
      row.append(details);
    }
    const targets = el("ul", "targets");
    for (const x of r.targets) targets.append(renderTarget(r, x));
    row.append(targets);
    if (i === highlight) row.classList.add("highlight");
    return row;
  };

  function showMore(upTo) {
    const end = Math.min(matches.length, Math.max(shown + BATCH, upTo ?? 0));
    const fragment = document.createDocumentFragment();
    for (; shown < end; shown++) fragment.append(renderRow(matches[shown]));
    list.append(fragment);
    count.textContent = t("shown", { shown: number(matches.length), total: number(rows.length) });
    more.hidden = shown >= matches.length;
    empty.hidden = matches.length > 0;
  }

  // ---- language and static text ----------------------------------------------------------
  const applyLanguage = () => {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
    for (const node of document.querySelectorAll("[data-i18n-label]")) node.setAttribute("aria-label", t(node.dataset.i18nLabel));
    for (const option of status.options) option.textContent = option.value ? t(option.value) : t("all");
    registry.options[0].textContent = t("all");
    platform.options[0].textContent = t("all");
    const s = data.summary;
    $("summary").textContent = t("summary", { images: number(s.images), fresh: number(s.fresh), behind: number(s.behind), failed: number(s.failed), time: when(data.generatedAt) });
    const another = issueLink(null);
    $("another").hidden = another === null;
    if (another) $("another").href = another;
    redraw(shown);
  };
  $("language").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    try { localStorage.setItem("mirrorbot-lang", lang); } catch {}
    applyLanguage();
  });

  // ---- anchors ---------------------------------------------------------------------------
  const goToHash = () => {
    let id;
    try { id = decodeURIComponent(location.hash.slice(1)); } catch { return; }
    const index = rows.findIndex((r) => r.id === id);
    if (index === -1) return;
    search.value = "";
    registry.value = status.value = platform.value = "";
    highlight = index;
    computeMatches();
    redraw(matches.indexOf(index) + 1);
    const node = document.getElementById(id);
    if (node) node.scrollIntoView({ block: "start" });
  };
  window.addEventListener("hashchange", goToHash);

  for (const control of [search, registry, status, platform]) control.addEventListener("input", filter);
  more.addEventListener("click", () => showMore());
  if ("IntersectionObserver" in window) {
    new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting) && !more.hidden) showMore(); }, { rootMargin: "800px" }).observe(more);
  }
  computeMatches();
  applyLanguage();
  if (location.hash.length > 1) goToHash();
  document.documentElement.dataset.ready = "true";
  performance.mark("catalogue-ready"); // bench/catalogue.ts reads it: time to interactive
})();
`;
