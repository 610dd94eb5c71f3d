/**
 * A small stateful stand-in for the REST API the app uses, behind nock: files with blob shas
 * (a stale sha gets 409 as on GitHub), issue comments, labels, collaborators, dispatches that
 * create runs, run artifacts, check runs. Every request is recorded with its token, so a test
 * can compare two modes call by call and check who authenticated each call.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";

/** One recorded API call. */
export interface Call {
  readonly method: string;
  /** Path below the API base, with the query string, e.g. "/repos/o/r/issues/7/comments?per_page=100". */
  readonly path: string;
  readonly body: any;
  readonly authorization: string | null;
  /** The answer's status; 0 while the call is pending. */
  status: number;
}

/** A comment as the fake stores it. */
export interface FakeComment {
  id: number;
  issue: number;
  body: string;
  user: { login: string; type: "User" | "Bot" };
  created_at: string;
  updated_at: string;
}

export interface FakeOptions {
  /** API base, e.g. https://api.github.com or https://ghes.example.com/api/v3. */
  readonly base?: string;
  readonly fullName: string;
  readonly defaultBranch: string;
  /** `.github/mirrorbot.yml` text; null answers 404. */
  readonly config: string | null;
  /** images.txt by ref (branch name or commit sha). */
  readonly files: Record<string, string>;
  /** Role names by login; others get 404 (not a collaborator). */
  readonly roles?: Record<string, string>;
  /** Who the token acts as: the author of the comments the app writes. */
  readonly actor?: string;
  /** Hold the first contents PUT until this many are pending (max 3 s), so writers race. */
  readonly racePuts?: number;
  readonly now?: () => number;
  /** Fixed answers for "METHOD path" (path without query), before any route. */
  readonly failures?: Record<string, [number, unknown]>;
  /**
   * Serve over real HTTP on 127.0.0.1 (see `serve`) instead of nock, for steps run as
   * separate processes.
   */
  readonly http?: boolean;
  /**
   * The permissions of each token, as a job's `permissions:` grants them (`pull_requests`,
   * with an underscore, as GitHub names them). When given, every call is checked as GitHub
   * checks a GITHUB_TOKEN: an unknown token gets 401, a missing permission 403 with GitHub's
   * body and its `x-accepted-github-permissions` header.
   */
  readonly tokens?: Record<string, Permissions>;
  /** The "Allow GitHub Actions to create and approve pull requests" setting (GitHub's default for new repositories: off). */
  readonly actionsMayOpenPullRequests?: boolean;
  /** Milliseconds each write takes on the server, between its check and its effect (GitHub takes a few hundred). */
  readonly writeLatencyMs?: number;
}

/** A token's permissions, by GitHub's permission name. */
export type Permissions = Partial<Record<"contents" | "issues" | "pull_requests" | "actions" | "checks" | "metadata", "read" | "write">>;

/** The 403 body GitHub sends when the token lacks a permission. */
export const NOT_ACCESSIBLE = "Resource not accessible by integration";
/** The 403 message GitHub sends when the repository does not let GitHub Actions open pull requests. */
export const ACTIONS_MAY_NOT_OPEN_PRS = "GitHub Actions is not permitted to create or approve pull requests.";

/** Where the fake's run artifacts are served from after the API's 302. */
export const BLOB_HOST = "https://pipelines.actions.example.net";

function blobSha(text: string): string {
  return createHash("sha1").update(`blob ${Buffer.byteLength(text)}\0${text}`).digest("hex");
}

/** The fake API; `calls` fills as the app talks to it. */
export class FakeGitHub {
  readonly calls: Call[] = [];
  readonly comments: FakeComment[] = [];
  /** Issues listed by GET /issues (the hourly limit counts a requester's recent form issues). */
  readonly issues: Array<{ number: number; id: number; user: { login: string }; labels: { name: string }[]; created_at: string; updated_at: string }> = [];
  readonly labels = new Map<number, string[]>();
  readonly closed = new Set<number>();
  readonly dispatches: { ref: string; inputs: Record<string, string>; runId: number }[] = [];
  readonly checkRuns: any[] = [];
  readonly commits: { branch: string; message: string; text: string }[] = [];
  readonly files: Map<string, string>;
  /** Artifact zips by run id, served as `mirror-result`. */
  readonly artifacts = new Map<number, Buffer>();
  readonly pullFiles = new Map<number, string[]>();
  /** Branch heads: branch name to commit sha. */
  readonly heads = new Map<string, string>();
  /** The file at each commit the fake made or started with. */
  readonly #atCommit = new Map<string, string>();
  readonly pulls: { number: number; head: string; base: string; title: string; state: string }[] = [];
  #servers: Server[] = [];
  #currentAuth: string | null = null;
  #blobBase = BLOB_HOST;
  #nextId = 9000;
  #nextRun = 4242;
  #pendingPuts: (() => void)[] = [];
  readonly #options: FakeOptions;
  readonly #prefix: string;
  readonly #repo: string;
  readonly #scopes: nock.Scope[] = [];

  constructor(options: FakeOptions) {
    this.#options = options;
    this.files = new Map(Object.entries(options.files));
    const base = new URL(options.base ?? "https://api.github.com");
    this.#prefix = base.pathname.replace(/\/$/, "");
    this.#repo = `/repos/${options.fullName}`;
    for (const [ref, text] of this.files) {
      if (/^[0-9a-f]{40}$/.test(ref)) continue;
      const sha = createHash("sha1").update(`initial:${ref}:${text}`).digest("hex");
      this.heads.set(ref, sha);
      this.#atCommit.set(sha, text);
    }
    if (options.http) return;
    const fake = this;
    const scope = nock(base.origin).persist();
    for (const method of ["get", "post", "put", "patch", "delete"] as const) {
      scope[method]((uri: string) => uri.startsWith(`${this.#prefix}/`)).reply(function (uri, body) {
        const auth = this.req.headers.authorization;
        return fake.#answer(method.toUpperCase(), uri, body, Array.isArray(auth) ? auth[0]! : (auth ?? null)) as any;
      });
    }
    this.#scopes.push(scope);
    this.#scopes.push(
      nock(BLOB_HOST, { badheaders: ["authorization"] })
        .persist()
        .get(/^\/artifact\/\d+\.zip/)
        .reply((uri) => {
          const run = Number(/\/artifact\/(\d+)\.zip/.exec(uri)![1]);
          return [200, this.artifacts.get(run), { "content-type": "application/zip" }];
        }),
    );
  }

  /** Remove the interceptors, or stop the servers. */
  stop(): void {
    for (const scope of this.#scopes) scope.persist(false);
    if (this.#scopes.length > 0) nock.cleanAll();
    for (const server of this.#servers) server.close();
    this.#servers = [];
  }

  /**
   * Start serving (`http: true`): the API and, on another origin, the artifact blobs the API
   * redirects to. Resolves to the API base URL to give a step as GITHUB_API_URL.
   */
  async serve(): Promise<string> {
    const listen = async (handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> => {
      const server = createServer(handler);
      this.#servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    };
    this.#blobBase = await listen((req, res) => {
      const match = /^\/artifact\/(\d+)\.zip/.exec(req.url ?? "");
      const zip = match && !req.headers.authorization ? this.artifacts.get(Number(match[1])) : undefined;
      res.writeHead(zip ? 200 : 404, { "content-type": "application/zip" }).end(zip ?? "");
    });
    return listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void this.#answer(req.method ?? "GET", req.url ?? "/", Buffer.concat(chunks).toString("utf8"), req.headers.authorization ?? null).then(
          ([status, data, headers]) => {
            const text = typeof data === "string" ? data : JSON.stringify(data);
            const type = typeof data === "string" ? "text/plain; charset=utf-8" : "application/json; charset=utf-8";
            res.writeHead(status, { "content-type": type, ...headers }).end(status === 204 ? undefined : text);
          },
        );
      });
    });
  }

  /** Branch names, sorted. */
  branches(): string[] {
    return [...this.heads.keys()].sort();
  }

  /** Add a comment as if someone wrote it `minutesAgo` minutes ago. */
  addComment(issue: number, body: string, user: { login: string; type: "User" | "Bot" }, minutesAgo = 0): FakeComment {
    const at = new Date(this.#now() - minutesAgo * 60_000).toISOString();
    const comment = { id: this.#nextId++, issue, body, user, created_at: at, updated_at: at };
    this.comments.push(comment);
    return comment;
  }

  /** Add a `mirror`-labelled issue opened by `login` `minutesAgo` minutes ago. */
  addIssue(number: number, login: string, minutesAgo = 0): void {
    const at = new Date(this.#now() - minutesAgo * 60_000).toISOString();
    this.issues.push({ number, id: 1_000_000 + number, user: { login }, labels: [{ name: "mirror" }], created_at: at, updated_at: at });
  }

  /** Calls in order as "METHOD path", without the ones `skip` matches. */
  trace(skip: (c: Call) => boolean = () => false): string[] {
    return this.calls.filter((c) => !skip(c)).map((c) => `${c.method} ${c.path}`);
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  async #answer(method: string, uri: string, body: any, authorization: string | null): Promise<[number, any, Record<string, string>?]> {
    const url = new URL(uri, "https://x");
    const path = decodeURIComponent(url.pathname.slice(this.#prefix.length));
    const parsed = typeof body === "string" && body !== "" ? JSON.parse(body) : body || undefined;
    const call = { method, path: `${path}${url.search}`, body: parsed, authorization, status: 0 };
    this.calls.push(call);
    this.#currentAuth = authorization;
    const result = await this.#route(method, path, url.searchParams, parsed);
    call.status = result[0];
    return result;
  }

  async #route(method: string, path: string, query: URLSearchParams, body: any): Promise<[number, any, Record<string, string>?]> {
    const r = this.#repo;
    const ok = (data: any, status = 200): [number, any] => [status, data];
    const notFound: [number, any] = [404, { message: "Not Found" }];
    let m: RegExpExecArray | null;
    const failure = this.#options.failures?.[`${method} ${path}`];
    if (failure) return [failure[0], failure[1]];
    const refused = this.#permissionCheck(method, path);
    if (refused) return refused;
    if (method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
      return ok({ token: "ghs_installation", expires_at: "2099-01-01T00:00:00Z", permissions: {}, repository_selection: "all" }, 201);
    }

    if (method === "GET" && path === "/app") return ok({ id: 123, slug: "mirrorbot", name: "mirrorbot" });
    if (method === "GET" && path === `${r}/contents/.github/mirrorbot.yml`) {
      return this.#options.config === null ? notFound : [200, this.#options.config, { "content-type": "text/plain; charset=utf-8" }];
    }
    if (method === "GET" && path === `${r}/contents/images.txt`) {
      const ref = query.get("ref") ?? this.#options.defaultBranch;
      const text = this.files.get(ref);
      if (text === undefined) return notFound;
      return ok({ type: "file", name: "images.txt", path: "images.txt", sha: blobSha(text), encoding: "base64", content: Buffer.from(text).toString("base64") });
    }
    if (method === "PUT" && path === `${r}/contents/images.txt`) {
      await this.#race();
      // The check and the write are one step, as on GitHub (compare-and-swap on the blob sha);
      // the latency comes before, so racing writers read stale shas as they would there.
      if (this.#options.writeLatencyMs) await new Promise((resolve) => setTimeout(resolve, this.#options.writeLatencyMs));
      const current = this.files.get(body.branch);
      if (current !== undefined && body.sha === undefined) return [422, { message: 'Invalid request.\n\n"sha" wasn\'t supplied.' }];
      if (current !== undefined && body.sha !== blobSha(current)) return [409, { message: `images.txt does not match ${body.sha}` }];
      const text = Buffer.from(body.content, "base64").toString("utf8");
      this.files.set(body.branch, text);
      const sha = createHash("sha1").update(`${this.commits.length}:${text}`).digest("hex");
      this.commits.push({ branch: body.branch, message: body.message, text });
      this.heads.set(body.branch, sha);
      this.#atCommit.set(sha, text);
      return ok({ content: { sha: blobSha(text) }, commit: { sha, html_url: `https://github.com/${this.#options.fullName}/commit/${sha}` } }, 201);
    }
    if (method === "GET" && (m = new RegExp(`^${r}/git/ref/heads/(.+)$`).exec(path))) {
      const sha = this.heads.get(m[1]!);
      return sha ? ok({ ref: `refs/heads/${m[1]}`, object: { sha, type: "commit" } }) : notFound;
    }
    if (method === "POST" && path === `${r}/git/refs`) {
      const branch = String(body.ref).replace(/^refs\/heads\//, "");
      if (this.heads.has(branch)) return [422, { message: "Reference already exists", documentation_url: "https://docs.github.com/rest/git/refs#create-a-reference", status: "422" }];
      const text = this.#atCommit.get(body.sha);
      if (text === undefined) return [422, { message: "Object does not exist", status: "422" }];
      this.heads.set(branch, body.sha);
      this.files.set(branch, text);
      return ok({ ref: body.ref, object: { sha: body.sha, type: "commit" } }, 201);
    }
    if (method === "DELETE" && (m = new RegExp(`^${r}/git/refs/heads/(.+)$`).exec(path))) {
      if (!this.heads.delete(m[1]!)) return [422, { message: "Reference does not exist", status: "422" }];
      this.files.delete(m[1]!);
      return [204, ""];
    }
    if (method === "POST" && path === `${r}/pulls`) {
      if (this.#options.actionsMayOpenPullRequests === false) {
        return [403, { message: ACTIONS_MAY_NOT_OPEN_PRS, documentation_url: "https://docs.github.com/rest/pulls/pulls#create-a-pull-request", status: "403" }];
      }
      if (!this.heads.has(body.head)) return [422, { message: "Validation Failed", errors: [{ resource: "PullRequest", field: "head", code: "invalid" }] }];
      const number = 100 + this.pulls.length;
      this.pulls.push({ number, head: body.head, base: body.base, title: body.title, state: "open" });
      return ok({ number, html_url: `https://github.com/${this.#options.fullName}/pull/${number}` }, 201);
    }
    if (method === "GET" && path === `${r}/pulls`) {
      const head = query.get("head")?.split(":").pop();
      return ok(this.pulls.filter((p) => p.head === head && p.state === (query.get("state") ?? "open")).map((p) => ({ ...p, html_url: `https://github.com/${this.#options.fullName}/pull/${p.number}` })));
    }
    if (method === "GET" && path === `${r}/issues`) {
      const since = Date.parse(query.get("since") ?? "1970-01-01T00:00:00Z");
      const label = query.get("labels");
      const list = this.issues.filter(
        (i) => Date.parse(i.updated_at) >= since && i.user.login === query.get("creator") && (label === null || i.labels.some((l) => l.name === label)),
      );
      return ok(list.sort((a, b) => b.created_at.localeCompare(a.created_at)));
    }
    if (method === "GET" && path === `${r}/issues/comments`) {
      const since = Date.parse(query.get("since") ?? "1970-01-01T00:00:00Z");
      const page = Number(query.get("page") ?? "1");
      const per = Number(query.get("per_page") ?? "30");
      const list = this.comments
        .filter((c) => Date.parse(c.updated_at) >= since)
        .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id)
        .map((c) => ({ ...c, issue_url: `https://api.github.com${r}/issues/${c.issue}` }));
      return ok(list.slice((page - 1) * per, page * per));
    }
    if ((m = new RegExp(`^${r}/issues/(\\d+)/comments$`).exec(path))) {
      const issue = Number(m[1]);
      if (method === "GET") return ok(this.comments.filter((c) => c.issue === issue));
      if (method === "POST") {
        const c = this.addComment(issue, body.body, { login: this.#options.actor ?? "github-actions[bot]", type: "Bot" });
        return ok({ id: c.id, body: c.body, user: c.user, created_at: c.created_at }, 201);
      }
    }
    if (method === "DELETE" && (m = new RegExp(`^${r}/issues/comments/(\\d+)$`).exec(path))) {
      const at = this.comments.findIndex((c) => c.id === Number(m![1]));
      if (at === -1) return notFound;
      this.comments.splice(at, 1);
      return [204, ""];
    }
    if (method === "PATCH" && (m = new RegExp(`^${r}/issues/comments/(\\d+)$`).exec(path))) {
      const comment = this.comments.find((c) => c.id === Number(m![1]));
      if (!comment) return notFound;
      comment.body = body.body;
      comment.updated_at = new Date(this.#now()).toISOString();
      return ok({ id: comment.id });
    }
    if (method === "GET" && (m = new RegExp(`^${r}/collaborators/([^/]+)/permission$`).exec(path))) {
      const login = decodeURIComponent(m[1]!);
      const role = this.#options.roles?.[login];
      if (role === undefined) return notFound;
      const legacy = role === "maintain" ? "write" : role === "triage" ? "read" : role;
      return ok({ permission: legacy, role_name: role, user: { login } });
    }
    if (method === "POST" && path === `${r}/actions/workflows/mirror.yml/dispatches`) {
      const runId = this.#nextRun++;
      this.dispatches.push({ ref: body.ref, inputs: body.inputs, runId });
      const html = `https://github.com/${this.#options.fullName}/actions/runs/${runId}`;
      return ok({ workflow_run_id: runId, run_url: `https://api.github.com${r}/actions/runs/${runId}`, html_url: html });
    }
    if ((m = new RegExp(`^${r}/issues/(\\d+)/labels(?:/(.+))?$`).exec(path))) {
      const issue = Number(m[1]);
      const current = this.labels.get(issue) ?? [];
      if (method === "POST") this.labels.set(issue, [...new Set([...current, ...body.labels])]);
      else if (method === "DELETE") this.labels.set(issue, current.filter((l) => l !== m![2]));
      return ok((this.labels.get(issue) ?? []).map((name) => ({ name })));
    }
    if ((m = new RegExp(`^${r}/issues/(\\d+)$`).exec(path))) {
      const issue = Number(m[1]);
      if (method === "PATCH" && body.state === "closed") this.closed.add(issue);
      return ok({ number: issue, state: this.closed.has(issue) ? "closed" : "open", labels: (this.labels.get(issue) ?? []).map((name) => ({ name })) });
    }
    if (method === "GET" && (m = new RegExp(`^${r}/actions/runs/(\\d+)/artifacts$`).exec(path))) {
      const run = Number(m[1]);
      const has = this.artifacts.has(run);
      return ok({ total_count: has ? 1 : 0, artifacts: has ? [{ id: run, name: "mirror-result", expired: false }] : [] });
    }
    if (method === "GET" && (m = new RegExp(`^${r}/actions/artifacts/(\\d+)/zip$`).exec(path))) {
      return [302, "", { location: `${this.#blobBase}/artifact/${m[1]}.zip?sig=abc` }];
    }
    if (method === "GET" && (m = new RegExp(`^${r}/pulls/(\\d+)/files$`).exec(path))) {
      return ok((this.pullFiles.get(Number(m[1])) ?? []).map((filename) => ({ filename, status: "modified" })));
    }
    if (method === "POST" && path === `${r}/check-runs`) {
      this.checkRuns.push(body);
      return ok({ id: this.checkRuns.length }, 201);
    }
    return [501, { message: `the fake has no route for ${method} ${path}` }];
  }

  /** The token's answer when it may not make this call, as GitHub gives it; null when it may. */
  #permissionCheck(method: string, path: string): [number, any, Record<string, string>] | null {
    const tokens = this.#options.tokens;
    // The App's own calls (its JWT: the installation token exchange, GET /app) are not a token's.
    if (!tokens || path.startsWith("/app")) return null;
    const token = /^token (.+)$/i.exec(this.#currentAuth ?? "")?.[1] ?? /^bearer (.+)$/i.exec(this.#currentAuth ?? "")?.[1];
    const granted = token !== undefined ? tokens[token] : undefined;
    if (!granted) return [401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" }, {}];
    const [scope, level, doc] = needs(method, path.slice(this.#repo.length));
    const has = scope === "metadata" ? "read" : granted[scope];
    if (has === "write" || has === level) return null;
    return [403, { message: NOT_ACCESSIBLE, documentation_url: `https://docs.github.com/rest/${doc}`, status: "403" }, { "x-accepted-github-permissions": `${scope}=${level}` }];
  }

  /** Hold PUTs until `racePuts` are pending (or 3 s passed), then let them through in order. */
  async #race(): Promise<void> {
    const want = this.#options.racePuts ?? 0;
    if (want <= 1) return;
    await new Promise<void>((resolve) => {
      this.#pendingPuts.push(resolve);
      if (this.#pendingPuts.length >= want) this.#release();
      else setTimeout(() => this.#release(), 3000).unref();
    });
  }

  #release(): void {
    const waiting = this.#pendingPuts;
    this.#pendingPuts = [];
    (this.#options as { racePuts?: number }).racePuts = 0;
    for (const resolve of waiting) resolve();
  }
}

/**
 * The permission a GITHUB_TOKEN needs for a call (path below `/repos/{owner}/{repo}`), and the
 * page of GitHub's REST docs the refusal links to.
 */
function needs(method: string, path: string): [keyof Permissions, "read" | "write", string] {
  const write = method !== "GET" && method !== "HEAD";
  const level = write ? "write" : "read";
  if (path.startsWith("/contents/")) return ["contents", level, write ? "repos/contents#create-or-update-file-contents" : "repos/contents#get-repository-content"];
  if (path.startsWith("/git/")) return ["contents", level, "git/refs"];
  if (path.startsWith("/actions/workflows/") && write) return ["actions", "write", "actions/workflows#create-a-workflow-dispatch-event"];
  if (path.startsWith("/actions/")) return ["actions", "read", "actions/artifacts#list-workflow-run-artifacts"];
  if (path.startsWith("/pulls")) return ["pull_requests", level, "pulls/pulls#create-a-pull-request"];
  if (path.startsWith("/check-runs")) return ["checks", level, "checks/runs#create-a-check-run"];
  if (path.startsWith("/issues")) return ["issues", level, "issues/comments#create-an-issue-comment"];
  return ["metadata", "read", "repos"];
}
