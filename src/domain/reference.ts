/**
 * Image references, parsed and normalized the way Docker's `ParseNormalizedNamed` does
 * (github.com/distribution/reference), with errors that point at the offending column.
 *
 * Grammar (as Docker):
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] component ( "/" component )*
 *   domain     := host [ ":" port ]        host: DNS labels joined by "." or "[" IPv6 "]"
 *   component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest     := algorithm ":" hex        sha256: 64, sha384: 96, sha512: 128 lowercase hex
 */

/** A normalized image reference; `tag` is "latest" when neither tag nor digest was given. */
export interface ImageReference {
  readonly domain: string;
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** A reference that does not parse; `column` is 1-based in the input, `reason` is the bare cause. */
export class ReferenceError extends Error {
  readonly column: number;
  readonly input: string;
  readonly reason: string;

  constructor(input: string, reason: string, column: number) {
    super(`invalid reference ${JSON.stringify(input)}: ${reason} (column ${column})`);
    this.input = input;
    this.reason = reason;
    this.column = column;
  }
}

/** Docker Hub's canonical registry name. */
export const DOCKER_HUB = "docker.io";
/** Every host name Docker Hub answers to, lower-cased. */
const DOCKER_HUB_HOSTS = new Set([DOCKER_HUB, "index.docker.io", "registry-1.docker.io"]);

/** True for any spelling of Docker Hub's host. @example isDockerHub("Index.Docker.IO") // true */
export function isDockerHub(host: string): boolean {
  return DOCKER_HUB_HOSTS.has(host.trim().toLowerCase());
}
const OFFICIAL_PREFIX = "library/";
/** Longest repository name (domain + "/" + path) Docker accepts. */
export const NAME_MAX_LENGTH = 255;
/** Longest tag Docker accepts. */
export const TAG_MAX_LENGTH = 128;

const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** A failure inside one part: `offset` is 0-based within the whole input. */
interface Fault {
  reason: string;
  offset: number;
}

const isLowerAlnum = (c: string): boolean => (c >= "a" && c <= "z") || (c >= "0" && c <= "9");
const isAlnum = (c: string): boolean => isLowerAlnum(c) || (c >= "A" && c <= "Z");
const isWord = (c: string): boolean => isAlnum(c) || c === "_";
const isHexLower = (c: string): boolean => (c >= "a" && c <= "f") || (c >= "0" && c <= "9");
const quote = (s: string): string => JSON.stringify(s);

/**
 * Parse and normalize an image reference like Docker does.
 * @example parseReference("nginx") // { domain: "docker.io", path: "library/nginx", tag: "latest" }
 * @example parseReference("[::1]:5000/foo:1@sha256:<64 hex>") // tag "1" and digest kept together
 */
export function parseReference(input: string): ImageReference {
  const fail = (f: Fault): never => {
    throw new ReferenceError(input, f.reason, f.offset + 1);
  };
  if (input === "") fail({ reason: "reference is empty", offset: 0 });
  if (/^[a-f0-9]{64}$/.test(input)) {
    fail({ reason: "cannot specify 64-byte hexadecimal strings (that is an image ID, not a name)", offset: 0 });
  }

  const { domain, domainEnd } = splitDomain(input);
  const rest = domainEnd === 0 ? 0 : domainEnd + 1; // offset where the path starts
  if (domain !== null) {
    const fault = checkDomain(input, 0, domainEnd);
    if (fault) fail(fault);
  }

  const at = input.indexOf("@", rest);
  const nameTagEnd = at === -1 ? input.length : at;
  const colon = input.indexOf(":", rest);
  const pathEnd = colon !== -1 && colon < nameTagEnd ? colon : nameTagEnd;

  const pathFault = checkPath(input, rest, pathEnd);
  if (pathFault) fail(pathFault);

  let normalizedDomain = domain ?? DOCKER_HUB;
  // Docker maps only "index.docker.io" (exact case). Hosts are case-insensitive, and
  // registry-1.docker.io is Docker Hub's API host, which the engine reaches and logs in to
  // as Docker Hub: every spelling must also meet policy, naming and duplicates as docker.io.
  if (isDockerHub(normalizedDomain)) normalizedDomain = DOCKER_HUB;
  let path = input.slice(rest, pathEnd);
  if (normalizedDomain === DOCKER_HUB && !path.includes("/")) path = OFFICIAL_PREFIX + path;

  const nameLength = normalizedDomain.length + 1 + path.length;
  if (nameLength > NAME_MAX_LENGTH) {
    fail({
      reason: `repository name must not be more than ${NAME_MAX_LENGTH} characters (the normalized name "${normalizedDomain}/${path.slice(0, 20)}..." has ${nameLength})`,
      offset: 0,
    });
  }

  let tag: string | undefined;
  if (pathEnd < nameTagEnd) {
    const fault = checkTag(input, pathEnd + 1, nameTagEnd);
    if (fault) fail(fault);
    tag = input.slice(pathEnd + 1, nameTagEnd);
  }

  let digest: string | undefined;
  if (at !== -1) {
    const fault = checkDigest(input, at + 1, input.length);
    if (fault) fail(fault);
    digest = input.slice(at + 1);
  }

  if (tag === undefined && digest === undefined) tag = "latest";
  return {
    domain: normalizedDomain,
    path,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/**
 * Parse a repository path with an optional tag and no registry or digest, e.g. the right side
 * of `=>` in images.txt. Throws ReferenceError.
 * @example parseRepositoryPath("tools/gitea:1.20") // { path: "tools/gitea", tag: "1.20" }
 */
export function parseRepositoryPath(input: string): { path: string; tag?: string } {
  const fail = (f: Fault): never => {
    throw new ReferenceError(input, f.reason, f.offset + 1);
  };
  if (input === "") fail({ reason: "repository path is empty", offset: 0 });
  const at = input.indexOf("@");
  if (at !== -1) fail({ reason: "a digest is not allowed here; give a path with an optional tag", offset: at });
  // Unlike a full reference, an uppercase first component here is a path error, not a host.
  const { domain } = splitDomain(input, false);
  if (domain !== null) {
    fail({ reason: `a registry (${quote(domain)}) is not allowed here; give a path below the target namespace`, offset: 0 });
  }
  const colon = input.indexOf(":");
  const pathEnd = colon === -1 ? input.length : colon;
  const pathFault = checkPath(input, 0, pathEnd);
  if (pathFault) fail(pathFault);
  if (colon === -1) return { path: input };
  const tagFault = checkTag(input, colon + 1, input.length);
  if (tagFault) fail(tagFault);
  return { path: input.slice(0, colon), tag: input.slice(colon + 1) };
}

/** True when `tag` is a valid Docker tag (`[\w][\w.-]{0,127}`). */
export function isValidTag(tag: string): boolean {
  return checkTag(tag, 0, tag.length) === null;
}

/** The full, normalized form. @example canonical(parseReference("nginx:1.26")) // "docker.io/library/nginx:1.26" */
export function canonical(ref: ImageReference): string {
  return repository(ref) + suffix(ref);
}

/** Docker's short form: drops "docker.io/" and "library/". @example familiar(parseReference("docker.io/library/nginx:1.26")) // "nginx:1.26" */
export function familiar(ref: ImageReference): string {
  return familiarName(ref) + suffix(ref);
}

/** The repository without tag or digest. @example repository(parseReference("nginx:1.26")) // "docker.io/library/nginx" */
export function repository(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The repository in Docker's short form. @example familiarName(parseReference("nginx:1.26")) // "nginx" */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== DOCKER_HUB) return repository(ref);
  const rest = ref.path.startsWith(OFFICIAL_PREFIX) ? ref.path.slice(OFFICIAL_PREFIX.length) : null;
  // "library/foo/bar" stays as is: only single-component official images are shortened.
  return rest !== null && !rest.includes("/") ? rest : ref.path;
}

function suffix(ref: ImageReference): string {
  return (ref.tag !== undefined ? `:${ref.tag}` : "") + (ref.digest !== undefined ? `@${ref.digest}` : "");
}

/**
 * Docker's rule: the part before the first "/" is a registry when it contains "." or ":",
 * is "localhost", or has an uppercase letter (so "Foo/bar" names registry "Foo", while a
 * lone "Foo" is a repository and fails the lowercase rule).
 */
function splitDomain(input: string, uppercaseIsHost = true): { domain: string | null; domainEnd: number } {
  const slash = input.indexOf("/");
  if (slash === -1) return { domain: null, domainEnd: 0 };
  const first = input.slice(0, slash);
  const looksLikeHost =
    first.includes(".") || first.includes(":") || first === "localhost" || (uppercaseIsHost && first.toLowerCase() !== first);
  return looksLikeHost ? { domain: first, domainEnd: slash } : { domain: null, domainEnd: 0 };
}

function checkDomain(input: string, start: number, end: number): Fault | null {
  const domain = input.slice(start, end);
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.exec(input);
  if (scheme) {
    return { reason: `remove the URL scheme ${quote(scheme[0])}: a reference names a registry host, not a URL`, offset: start };
  }
  let hostEnd: number;
  if (input[start] === "[") {
    const close = input.indexOf("]", start);
    if (close === -1 || close >= end) {
      return { reason: `IPv6 registry host in ${quote(domain)} is missing "]"`, offset: start };
    }
    if (close === start + 1) return { reason: "IPv6 registry host is empty", offset: start };
    for (let i = start + 1; i < close; i++) {
      const c = input[i]!;
      if (!(c === ":" || (c >= "0" && c <= "9") || (c >= "a" && c <= "f") || (c >= "A" && c <= "F"))) {
        return { reason: `invalid character ${quote(c)} in IPv6 registry host ${quote(domain)} (only hex digits and ":")`, offset: i };
      }
    }
    hostEnd = close + 1;
    if (hostEnd < end && input[hostEnd] !== ":") {
      return { reason: `unexpected ${quote(input[hostEnd]!)} after IPv6 registry host in ${quote(domain)}`, offset: hostEnd };
    }
  } else {
    const colon = input.indexOf(":", start);
    hostEnd = colon !== -1 && colon < end ? colon : end;
    const fault = checkHostName(input, start, hostEnd, domain);
    if (fault) return fault;
  }
  if (hostEnd < end) {
    // input[hostEnd] is ":"
    if (hostEnd + 1 === end) return { reason: `registry port is empty in ${quote(domain)}`, offset: hostEnd };
    for (let i = hostEnd + 1; i < end; i++) {
      const c = input[i]!;
      if (!(c >= "0" && c <= "9")) {
        return { reason: `registry port in ${quote(domain)} must be digits, found ${quote(c)}`, offset: i };
      }
    }
  }
  return null;
}

function checkHostName(input: string, start: number, end: number, domain: string): Fault | null {
  if (start === end) return { reason: `registry host is empty in ${quote(domain)}`, offset: start };
  let labelStart = start;
  for (let i = start; i <= end; i++) {
    const c = i < end ? input[i]! : ".";
    if (c === ".") {
      if (i === labelStart) {
        return { reason: `empty label in registry host ${quote(domain)}`, offset: i };
      }
      if (input[labelStart] === "-") {
        return { reason: `a registry host label may not start with "-" in ${quote(domain)}`, offset: labelStart };
      }
      if (input[i - 1] === "-") {
        return { reason: `a registry host label may not end with "-" in ${quote(domain)}`, offset: i - 1 };
      }
      labelStart = i + 1;
    } else if (!(isAlnum(c) || c === "-")) {
      return { reason: `invalid character ${quote(c)} in registry host ${quote(domain)}`, offset: i };
    }
  }
  return null;
}

function checkPath(input: string, start: number, end: number): Fault | null {
  if (start === end) return { reason: "repository name is missing", offset: start };
  // Docker checks case before anything else, so "docker/Docker" says "lowercase", not "invalid".
  for (let i = start; i < end; i++) {
    const c = input[i]!;
    if (c >= "A" && c <= "Z") return { reason: "repository name must be lowercase", offset: i };
  }
  let componentStart = start;
  for (let i = start; i <= end; i++) {
    if (i === end || input[i] === "/") {
      const fault = checkComponent(input, componentStart, i);
      if (fault) return fault;
      componentStart = i + 1;
    }
  }
  return null;
}

const SEPARATORS = "._-";

function checkComponent(input: string, start: number, end: number): Fault | null {
  const component = input.slice(start, end);
  if (start === end) {
    // Point at the extra "/" itself; for a trailing "/" that is the one before the gap.
    const offset = input[start] === "/" || start === 0 ? start : start - 1;
    return { reason: 'empty path component (two "/" in a row, or a "/" at an end)', offset };
  }
  let i = start;
  while (i < end) {
    const c = input[i]!;
    if (isLowerAlnum(c)) {
      i++;
      continue;
    }
    if (!SEPARATORS.includes(c)) {
      return { reason: `invalid character ${quote(c)} in path component ${quote(component)}`, offset: i };
    }
    let runEnd = i;
    while (runEnd < end && SEPARATORS.includes(input[runEnd]!)) runEnd++;
    const run = input.slice(i, runEnd);
    if (i === start) {
      return { reason: `path component ${quote(component)} must start with a lowercase letter or digit`, offset: i };
    }
    if (runEnd === end) {
      return { reason: `path component ${quote(component)} must end with a lowercase letter or digit`, offset: i };
    }
    if (!(run === "." || run === "_" || run === "__" || /^-+$/.test(run))) {
      return {
        reason: `invalid separator ${quote(run)} in path component ${quote(component)} (use one ".", one or two "_", or "-")`,
        offset: i,
      };
    }
    i = runEnd;
  }
  return null;
}

function checkTag(input: string, start: number, end: number): Fault | null {
  if (start === end) return { reason: 'tag is empty after ":"', offset: Math.max(0, start - 1) };
  const tag = input.slice(start, end);
  if (!isWord(input[start]!)) {
    return { reason: `tag ${quote(tag)} must start with a letter, digit or "_"`, offset: start };
  }
  for (let i = start + 1; i < end; i++) {
    const c = input[i]!;
    if (!(isWord(c) || c === "." || c === "-")) {
      return { reason: `invalid character ${quote(c)} in tag ${quote(tag)}`, offset: i };
    }
  }
  if (end - start > TAG_MAX_LENGTH) {
    return { reason: `tag is ${end - start} characters long; at most ${TAG_MAX_LENGTH} are allowed`, offset: start + TAG_MAX_LENGTH };
  }
  return null;
}

function checkDigest(input: string, start: number, end: number): Fault | null {
  if (start === end) return { reason: 'digest is empty after "@"', offset: start - 1 };
  const digest = input.slice(start, end);
  const colon = input.indexOf(":", start);
  if (colon === -1) {
    return { reason: `digest ${quote(digest)} must be algorithm:hex, e.g. "sha256:<64 hex digits>"`, offset: start };
  }
  const algorithm = input.slice(start, colon);
  if (!/^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*$/.test(algorithm)) {
    return { reason: `invalid digest algorithm ${quote(algorithm)}`, offset: start };
  }
  const expected = DIGEST_HEX_LENGTH[algorithm];
  if (expected === undefined) {
    return { reason: `unsupported digest algorithm ${quote(algorithm)} (use sha256, sha384 or sha512)`, offset: start };
  }
  for (let i = colon + 1; i < end; i++) {
    const c = input[i]!;
    if (!isHexLower(c)) {
      return { reason: `invalid character ${quote(c)} in ${algorithm} digest (lowercase hex only)`, offset: i };
    }
  }
  const got = end - colon - 1;
  if (got !== expected) {
    return { reason: `${algorithm} digest must have ${expected} hex digits, got ${got}`, offset: colon + 1 };
  }
  return null;
}
