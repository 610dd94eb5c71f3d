/**
 * docs/deploy/Dockerfile cannot be built here (no Docker engine), so its essentials are read
 * from the file: two stages, skopeo installed, a non-root user, the right command, and
 * every path it copies from the build context present in the repository.
 */
import { access, readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";

interface Instruction {
  readonly op: string;
  readonly args: string;
}

const root = new URL("../../", import.meta.url);

/** Instructions in order, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  const logical = text
    .split("\n")
    .filter((line) => !/^\s*#/.test(line))
    .join("\n")
    .replace(/\\\n/g, " ");
  return logical
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(" ") };
    });
}

/** Instructions grouped by stage (each FROM starts one). */
function stages(list: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const i of list) {
    if (i.op === "FROM") out.push([]);
    out.at(-1)?.push(i);
  }
  return out;
}

let text: string;
let build: Instruction[];
let runtime: Instruction[];

beforeAll(async () => {
  text = await readFile(new URL("docs/deploy/Dockerfile", root), "utf8");
  const all = stages(instructions(text));
  expect(all).toHaveLength(2);
  [build, runtime] = all as [Instruction[], Instruction[]];
});

const runs = (stage: Instruction[]) => stage.filter((i) => i.op === "RUN").map((i) => i.args.replace(/\s+/g, " "));

describe("docs/deploy/Dockerfile", () => {
  it("builds in one node:24-bookworm-slim stage and runs in a fresh one", () => {
    expect(build[0]).toEqual({ op: "FROM", args: "node:24-bookworm-slim AS build" });
    expect(runtime[0]).toEqual({ op: "FROM", args: "node:24-bookworm-slim" });
  });

  it("compiles with the lockfile and prunes dev dependencies before anything is copied out", () => {
    const steps = runs(build).join(" && ");
    expect(steps).toMatch(/npm ci --ignore-scripts/);
    expect(steps.indexOf("npm run build")).toBeGreaterThan(steps.indexOf("npm ci"));
    expect(steps.indexOf("npm prune --omit=dev")).toBeGreaterThan(steps.indexOf("npm run build"));
  });

  it("installs skopeo and CA certificates without recommends, and drops the apt lists", () => {
    const apt = runs(runtime).find((r) => r.includes("apt-get install"));
    expect(apt).toMatch(/apt-get update && apt-get install -y --no-install-recommends skopeo ca-certificates && rm -rf \/var\/lib\/apt\/lists\/\*/);
  });

  it("runs as a numeric non-root user", () => {
    const users = runtime.filter((i) => i.op === "USER");
    expect(users).toHaveLength(1);
    const [uid] = users[0]!.args.split(":");
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    // Nothing runs as root after the switch.
    expect(runtime.slice(runtime.indexOf(users[0]!) + 1).map((i) => i.op)).not.toContain("RUN");
  });

  it("carries only the build output, runtime dependencies, package.json and app.yml", () => {
    const copies = runtime.filter((i) => i.op === "COPY").map((i) => i.args);
    expect(copies).toEqual([
      "--from=build /app/package.json ./package.json",
      "--from=build /app/node_modules ./node_modules",
      "--from=build /app/dist ./dist",
      "app.yml ./app.yml",
    ]);
  });

  it("copies from the build context only paths that exist in the repository", async () => {
    const sources = [...build, ...runtime]
      .filter((i) => (i.op === "COPY" || i.op === "ADD") && !i.args.startsWith("--from="))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.sort()).toEqual(["app.yml", "package-lock.json", "package.json", "src", "tsconfig.json"]);
    for (const source of sources) await expect(access(new URL(source, root))).resolves.toBeUndefined();
  });

  it("is production, listens on every interface, and starts the hosted app by default", () => {
    const env = runtime.filter((i) => i.op === "ENV").map((i) => i.args).join(" ");
    expect(env.split(/\s+/)).toEqual(expect.arrayContaining(["NODE_ENV=production", "HOST=0.0.0.0", "LOG_FORMAT=json"]));
    expect(runtime.filter((i) => i.op === "CMD").map((i) => JSON.parse(i.args))).toEqual([["npx", "probot", "run", "./dist/src/index.js"]]);
    expect(runs(runtime).join(" ")).toContain("ln -s /app/dist/src/cli/main.js /usr/local/bin/mirrorbot");
  });

  it("bakes in no credential", () => {
    const baked = [...build, ...runtime].filter((i) => i.op === "ENV" || i.op === "ARG").map((i) => i.args);
    expect(baked.join(" ")).not.toMatch(/PRIVATE_KEY|WEBHOOK_SECRET|TOKEN|PASSWORD|APP_ID/);
    expect(text).not.toMatch(/\.pem|\.env\b/);
  });
});

describe("docs/deploy.md", () => {
  it("gives the build command from the repository root, the engine alone, and the hosted app's variables", async () => {
    const doc = await readFile(new URL("docs/deploy.md", root), "utf8");
    expect(doc).toContain("docker build -f docs/deploy/Dockerfile -t mirrorbot .");
    expect(doc).toContain("mirrorbot mirrorbot sync --result result.json");
    for (const name of ["APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET", "GHE_HOST"]) expect(doc).toContain(`| \`${name}\` |`);
  });
});
