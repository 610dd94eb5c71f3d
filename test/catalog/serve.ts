/**
 * What the browser test and the bench share: a static file server for a built site on
 * 127.0.0.1 (a free port), and Debian's Chromium launched through playwright-core.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { extname, join, normalize } from "node:path";
import { type Browser, chromium } from "playwright-core";

/** Debian's chromium package; CI installs it (.ci/run), so a missing one is an error, not a skip. */
export const CHROMIUM = process.env.MIRRORBOT_CHROMIUM ?? "/usr/bin/chromium";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
};

/** Serve `dir` on 127.0.0.1; resolves to the server and its base URL. */
export async function serveDirectory(dir: string): Promise<{ server: Server; url: string; bytes: () => number }> {
  let sent = 0;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const name = normalize(path === "/" ? "index.html" : decodeURIComponent(path.slice(1)));
    if (name.startsWith("..")) {
      res.writeHead(400).end();
      return;
    }
    readFile(join(dir, name)).then(
      (body) => {
        sent += body.length;
        res.writeHead(200, { "content-type": TYPES[extname(name)] ?? "application/octet-stream", "content-length": body.length });
        res.end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("server has no port");
  return { server, url: `http://127.0.0.1:${address.port}/`, bytes: () => sent };
}

/** Launch headless Chromium from the system package; throws with the fix when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium), as .ci/run does, or point MIRRORBOT_CHROMIUM at a Chromium binary`);
  }
  // Root (CI, containers) cannot use Chromium's sandbox.
  const args = process.getuid?.() === 0 ? ["--no-sandbox"] : [];
  return chromium.launch({ executablePath: CHROMIUM, args, timeout: 120_000 });
}
