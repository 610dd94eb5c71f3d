/** The page's stylesheet, inlined: the page loads nothing from anywhere else. */
export const PAGE_STYLE = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #fff; --line: #d1d9e0; --code: #f6f8fa;
  --fresh: #1a7f37; --behind: #9a6700; --failed: #d1242f; --accent: #0969da; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --line: #3d444d; --code: #151b23;
  --fresh: #3fb950; --behind: #d29922; --failed: #f85149; --accent: #4493f8; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", "PingFang SC", "Microsoft YaHei", sans-serif; color: var(--fg); background: var(--bg); }
header.top { padding: 16px 24px; border-bottom: 1px solid var(--line); display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; }
header.top h1 { font-size: 20px; margin: 0; }
header.top .spacer { flex: 1; }
#summary { color: var(--muted); width: 100%; margin: 0; }
a { color: var(--accent); }
button, select, input { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; }
button { cursor: pointer; }
.controls { display: flex; flex-wrap: wrap; gap: 8px 16px; padding: 12px 24px; border-bottom: 1px solid var(--line); position: sticky; top: 0; background: var(--bg); z-index: 1; }
.controls input[type=search] { flex: 1 1 280px; min-width: 200px; }
.controls label { display: flex; gap: 6px; align-items: center; }
#count { color: var(--muted); align-self: center; }
main { padding: 8px 24px 48px; }
.row { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 12px 0; }
.row.highlight { outline: 2px solid var(--accent); }
.row-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 10px; }
.row-head h2 { font-size: 16px; margin: 0; word-break: break-all; }
.anchor { color: var(--muted); text-decoration: none; }
.pill { font-size: 12px; border-radius: 999px; padding: 0 8px; border: 1px solid currentColor; white-space: nowrap; }
.pill.fresh { color: var(--fresh); } .pill.behind { color: var(--behind); } .pill.failed { color: var(--failed); }
.tag { font-size: 12px; color: var(--muted); border: 1px solid var(--line); border-radius: 4px; padding: 0 6px; }
.refresh { margin-left: auto; font-size: 13px; }
.meta { color: var(--muted); font-size: 13px; display: flex; flex-wrap: wrap; gap: 2px 16px; margin-top: 4px; }
.meta span, .target-meta span { word-break: break-all; }
ul.targets { list-style: none; padding: 0; margin: 8px 0 0; }
ul.targets li { border-top: 1px dashed var(--line); padding: 8px 0 4px; }
.target-head { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: baseline; }
.target-name { font-weight: 600; }
.target-meta { color: var(--muted); font-size: 13px; display: flex; flex-wrap: wrap; gap: 2px 16px; }
.reason { font-size: 13px; white-space: pre-wrap; word-break: break-word; }
.reason.failed { color: var(--failed); } .reason.behind { color: var(--behind); }
.cmd { display: flex; gap: 8px; align-items: flex-start; margin-top: 4px; }
.cmd pre { flex: 1; margin: 0; padding: 6px 10px; background: var(--code); border-radius: 6px; overflow-x: auto; font: 12.5px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
details.rule-tags { font-size: 13px; color: var(--muted); }
#more { display: block; margin: 16px auto; }
#empty { color: var(--muted); text-align: center; padding: 32px; }
[hidden] { display: none !important; }
`;
