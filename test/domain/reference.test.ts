import { describe, expect, it } from "vitest";
import {
  ReferenceError,
  canonical,
  familiar,
  familiarName,
  isValidTag,
  parseReference,
  parseRepositoryPath,
  repository,
} from "../../src/domain/reference.js";

const H64 = "f".repeat(64);
const D64 = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";
const H128 = "f".repeat(128);

function refError(input: string): ReferenceError {
  try {
    parseReference(input);
  } catch (e) {
    if (e instanceof ReferenceError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe("parseReference: valid references (Docker's reference and normalize tests, normalized)", () => {
  // [input, domain, path, tag, digest]
  const cases: [string, string, string, string | undefined, string | undefined][] = [
    ["test_com", "docker.io", "library/test_com", "latest", undefined],
    ["test.com:tag", "docker.io", "library/test.com", "tag", undefined],
    ["test.com:5000", "docker.io", "library/test.com", "5000", undefined],
    ["test.com/repo:tag", "test.com", "repo", "tag", undefined],
    ["test:5000/repo", "test:5000", "repo", "latest", undefined],
    ["test:5000/repo:tag", "test:5000", "repo", "tag", undefined],
    [`test:5000/repo@sha256:${H64}`, "test:5000", "repo", undefined, `sha256:${H64}`],
    [`test:5000/repo:tag@sha256:${H64}`, "test:5000", "repo", "tag", `sha256:${H64}`],
    ["lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", undefined],
    ["sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", "latest", undefined],
    ["sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", "some-long-tag", undefined],
    ["b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app", "test.example.com", undefined],
    ["xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", undefined],
    [`xn--7o8h.com/myimage:xn--7o8h.com@sha512:${H128}`, "xn--7o8h.com", "myimage", "xn--7o8h.com", `sha512:${H128}`],
    ["foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080", undefined],
    ["foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", undefined],
    ["192.168.1.1", "docker.io", "library/192.168.1.1", "latest", undefined],
    ["192.168.1.1:tag", "docker.io", "library/192.168.1.1", "tag", undefined],
    ["192.168.1.1:5000", "docker.io", "library/192.168.1.1", "5000", undefined],
    ["192.168.1.1/repo", "192.168.1.1", "repo", "latest", undefined],
    ["192.168.1.1:5000/repo", "192.168.1.1:5000", "repo", "latest", undefined],
    ["192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", undefined],
    ["[2001:db8::1]/repo", "[2001:db8::1]", "repo", "latest", undefined],
    ["[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", "tag", undefined],
    ["[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo", "latest", undefined],
    ["[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000", "repo", "tag", undefined],
    [`[2001:db8::1]:5000/repo@sha256:${H64}`, "[2001:db8::1]:5000", "repo", undefined, `sha256:${H64}`],
    [`[2001:db8::1]:5000/repo:tag@sha256:${H64}`, "[2001:db8::1]:5000", "repo", "tag", `sha256:${H64}`],
    ["[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo", "latest", undefined],
    ["[::1]:5000/repo", "[::1]:5000", "repo", "latest", undefined],
    ["[::1]:5000/foo", "[::1]:5000", "foo", "latest", undefined],
    ["docker/docker", "docker.io", "docker/docker", "latest", undefined],
    ["library/debian", "docker.io", "library/debian", "latest", undefined],
    ["debian", "docker.io", "library/debian", "latest", undefined],
    ["docker.io/docker/docker", "docker.io", "docker/docker", "latest", undefined],
    ["docker.io/library/debian", "docker.io", "library/debian", "latest", undefined],
    ["docker.io/debian", "docker.io", "library/debian", "latest", undefined],
    ["index.docker.io/docker/docker", "docker.io", "docker/docker", "latest", undefined],
    ["index.docker.io/library/debian", "docker.io", "library/debian", "latest", undefined],
    ["index.docker.io/debian", "docker.io", "library/debian", "latest", undefined],
    // Beyond Docker's grammar: every host name of Docker Hub, in any case, is docker.io.
    ["registry-1.docker.io/debian", "docker.io", "library/debian", "latest", undefined],
    ["INDEX.DOCKER.IO/library/nginx:1.26", "docker.io", "library/nginx", "1.26", undefined],
    ["Docker.IO/bitnami/redis", "docker.io", "bitnami/redis", "latest", undefined],
    ["127.0.0.1:5000/docker/docker", "127.0.0.1:5000", "docker/docker", "latest", undefined],
    ["127.0.0.1:5000/library/debian", "127.0.0.1:5000", "library/debian", "latest", undefined],
    ["127.0.0.1:5000/debian", "127.0.0.1:5000", "debian", "latest", undefined],
    ["192.168.0.1", "docker.io", "library/192.168.0.1", "latest", undefined],
    ["192.168.0.1:80", "docker.io", "library/192.168.0.1", "80", undefined],
    ["192.168.0.1:8/debian", "192.168.0.1:8", "debian", "latest", undefined],
    ["192.168.0.2:25000/debian", "192.168.0.2:25000", "debian", "latest", undefined],
    [
      "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
      "docker.io",
      "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
      "latest",
      undefined,
    ],
    ["[fc00::1]:5000/docker", "[fc00::1]:5000", "docker", "latest", undefined],
    ["[fc00::1]:5000/docker/docker", "[fc00::1]:5000", "docker/docker", "latest", undefined],
    ["[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000", "library/debian", "latest", undefined],
    // A registry removes the ambiguity with an image ID.
    [`docker.io/${D64}`, "docker.io", `library/${D64}`, "latest", undefined],
    // An uppercase first component before "/" is a registry host, as in Docker.
    ["Docker/docker", "Docker", "docker", "latest", undefined],
    ["DOCKER/docker", "DOCKER", "docker", "latest", undefined],
    ["docker-rules/docker", "docker.io", "docker-rules/docker", "latest", undefined],
    ["docker---rules/docker", "docker.io", "docker---rules/docker", "latest", undefined],
    ["doc/docker", "docker.io", "doc/docker", "latest", undefined],
    ["d/docker", "docker.io", "d/docker", "latest", undefined],
    ["jess/t", "docker.io", "jess/t", "latest", undefined],
    ["dock__er/docker", "docker.io", "dock__er/docker", "latest", undefined],
    ["test_com/foo", "docker.io", "test_com/foo", "latest", undefined],
    ["test.com:8080/foo", "test.com:8080", "foo", "latest", undefined],
    ["test-com:8080/foo", "test-com:8080", "foo", "latest", undefined],
    ["xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", "latest", undefined],
    ["docker.io/library/foo/bar", "docker.io", "library/foo/bar", "latest", undefined],
    ["localhost/foo", "localhost", "foo", "latest", undefined],
    ["localhost:5000/a/b/c:v1", "localhost:5000", "a/b/c", "v1", undefined],
    [`redis@sha256:${D64}`, "docker.io", "library/redis", undefined, `sha256:${D64}`],
    [`busybox:latest@sha256:${D64}`, "docker.io", "library/busybox", "latest", `sha256:${D64}`],
    [`nginx:1.26@sha384:${"a".repeat(96)}`, "docker.io", "library/nginx", "1.26", `sha384:${"a".repeat(96)}`],
    [`${D64.slice(0, 63)}`, "docker.io", `library/${D64.slice(0, 63)}`, "latest", undefined],
    [`${D64}:tag`, "docker.io", `library/${D64}`, "tag", undefined],
    ["ghcr.io/Owner/Repo".toLowerCase(), "ghcr.io", "owner/repo", "latest", undefined],
    ["a:_", "docker.io", "library/a", "_", undefined],
    [`a:${"x".repeat(128)}`, "docker.io", "library/a", "x".repeat(128), undefined],
  ];

  it.each(cases)("%s", (input, domain, path, tag, digest) => {
    const ref = parseReference(input);
    expect(ref.domain).toBe(domain);
    expect(ref.path).toBe(path);
    expect(ref.tag).toBe(tag);
    expect(ref.digest).toBe(digest);
  });

  it("omits absent tag and digest keys", () => {
    expect(parseReference(`redis@sha256:${D64}`)).toStrictEqual({
      domain: "docker.io",
      path: "library/redis",
      digest: `sha256:${D64}`,
    });
    expect(parseReference("redis")).toStrictEqual({ domain: "docker.io", path: "library/redis", tag: "latest" });
  });
});

describe("parseReference: invalid references", () => {
  // [input, reason, column]
  const cases: [string, string, number][] = [
    ["", "reference is empty", 1],
    [":justtag", "repository name is missing", 1],
    [`@sha256:${H64}`, "repository name is missing", 1],
    ["repo@sha256:ffffffffffffffffffffffffffffffffff", "sha256 digest must have 64 hex digits, got 34", 13],
    [`validname@invaliddigest:${H64}`, 'unsupported digest algorithm "invaliddigest" (use sha256, sha384 or sha512)', 11],
    ["Uppercase:tag", "repository name must be lowercase", 1],
    ["Nginx:1.26", "repository name must be lowercase", 1],
    ["test:5000/Uppercase/lowercase:tag", "repository name must be lowercase", 11],
    ["docker/Docker", "repository name must be lowercase", 8],
    ["docker.io/docker/Docker", "repository name must be lowercase", 18],
    ["library/ngInx", "repository name must be lowercase", 11],
    ["aa/asdf$$^/aa", 'invalid character "$" in path component "asdf$$^"', 8],
    ["[2001:db8::1]", 'invalid character "[" in path component "[2001"', 1],
    ["[2001:db8::1]:5000", 'invalid character "[" in path component "[2001"', 1],
    ["[2001:db8::1]:tag", 'invalid character "[" in path component "[2001"', 1],
    ["[fe80::1%eth0]:5000/repo", 'invalid character "%" in IPv6 registry host "[fe80::1%eth0]:5000" (only hex digits and ":")', 9],
    ["[fe80::1%@invalidzone]:5000/repo", 'invalid character "%" in IPv6 registry host "[fe80::1%@invalidzone]:5000" (only hex digits and ":")', 9],
    ["[2001:db8:3:4::192.0.2.33]:5000/debian", 'invalid character "." in IPv6 registry host "[2001:db8:3:4::192.0.2.33]:5000" (only hex digits and ":")', 19],
    ["[fc00::1]", 'invalid character "[" in path component "[fc00"', 1],
    ["[fc00::1]:5000", 'invalid character "[" in path component "[fc00"', 1],
    ["fc00::1:5000/debian", 'registry port in "fc00::1:5000" must be digits, found ":"', 6],
    ["https://github.com/docker/docker", 'remove the URL scheme "https://": a reference names a registry host, not a URL', 1],
    ["-docker", 'path component "-docker" must start with a lowercase letter or digit', 1],
    ["-docker/docker", 'path component "-docker" must start with a lowercase letter or digit', 1],
    ["-docker.io/docker/docker", 'a registry host label may not start with "-" in "-docker.io"', 1],
    ["docker-/docker", 'path component "docker-" must end with a lowercase letter or digit', 7],
    ["-docker-/docker", 'path component "-docker-" must start with a lowercase letter or digit', 1],
    ["docker///docker", 'empty path component (two "/" in a row, or a "/" at an end)', 8],
    ["docker.io/docker///docker", 'empty path component (two "/" in a row, or a "/" at an end)', 18],
    ["docker/", 'empty path component (two "/" in a row, or a "/" at an end)', 7],
    ["____/____", 'path component "____" must start with a lowercase letter or digit', 1],
    ["_docker/_docker", 'path component "_docker" must start with a lowercase letter or digit', 1],
    // A "." before the first "/" makes it a registry host, as in Docker.
    ["dock..er/docker", 'empty label in registry host "dock..er"', 6],
    ["dock_.er/docker", 'invalid character "_" in registry host "dock_.er"', 5],
    ["dock-.er/docker", 'a registry host label may not end with "-" in "dock-.er"', 5],
    ["docker/dock..er", 'invalid separator ".." in path component "dock..er" (use one ".", one or two "_", or "-")', 12],
    ["docker/dock_.er", 'invalid separator "_." in path component "dock_.er" (use one ".", one or two "_", or "-")', 12],
    ["docker/dock-.er", 'invalid separator "-." in path component "dock-.er" (use one ".", one or two "_", or "-")', 12],
    ["/nginx", 'empty path component (two "/" in a row, or a "/" at an end)', 1],
    ["dock___er/docker", 'invalid separator "___" in path component "dock___er" (use one ".", one or two "_", or "-")', 5],
    [D64, "cannot specify 64-byte hexadecimal strings (that is an image ID, not a name)", 1],
    ["nginx:", 'tag is empty after ":"', 6],
    ["nginx:-x", 'tag "-x" must start with a letter, digit or "_"', 7],
    ["nginx:.x", 'tag ".x" must start with a letter, digit or "_"', 7],
    ["nginx:1.2+3", 'invalid character "+" in tag "1.2+3"', 10],
    ["nginx:1 .2", 'invalid character " " in tag "1 .2"', 8],
    [`a:${"x".repeat(129)}`, "tag is 129 characters long; at most 128 are allowed", 131],
    ["nginx@", 'digest is empty after "@"', 6],
    ["nginx@sha256", 'digest "sha256" must be algorithm:hex, e.g. "sha256:<64 hex digits>"', 7],
    [`nginx@sha256:${"F".repeat(64)}`, 'invalid character "F" in sha256 digest (lowercase hex only)', 14],
    [`nginx@sha512:${H64}`, "sha512 digest must have 128 hex digits, got 64", 14],
    [`nginx@md5:${"a".repeat(32)}`, 'unsupported digest algorithm "md5" (use sha256, sha384 or sha512)', 7],
    [`nginx@1sha:${"a".repeat(32)}`, 'invalid digest algorithm "1sha"', 7],
    [`nginx@sha256:${H64}@sha256:${H64}`, 'invalid character "@" in sha256 digest (lowercase hex only)', 78],
    ["foo_bar.com/x", 'invalid character "_" in registry host "foo_bar.com"', 4],
    ["exa mple.com/x", 'invalid character " " in registry host "exa mple.com"', 4],
    ["example..com/x", 'empty label in registry host "example..com"', 9],
    ["example-.com/x", 'a registry host label may not end with "-" in "example-.com"', 8],
    ["example.com:/x", 'registry port is empty in "example.com:"', 12],
    ["example.com:50a/x", 'registry port in "example.com:50a" must be digits, found "a"', 15],
    ["[]:5000/x", "IPv6 registry host is empty", 1],
    ["[::1:5000/x", 'IPv6 registry host in "[::1:5000" is missing "]"', 1],
    ["[::1]x/y", 'unexpected "x" after IPv6 registry host in "[::1]x"', 6],
    [" nginx", 'invalid character " " in path component " nginx"', 1],
    ["nginx:1.26 ", 'invalid character " " in tag "1.26 "', 11],
  ];

  it.each(cases)("%j", (input, reason, column) => {
    const e = refError(input);
    expect(e.reason).toBe(reason);
    expect(e.column).toBe(column);
    expect(e.input).toBe(input);
    expect(e.message).toBe(`invalid reference ${JSON.stringify(input)}: ${reason} (column ${column})`);
  });

  it("says what is wrong and where, in the message", () => {
    expect(() => parseReference("Nginx:1.26")).toThrow(
      'invalid reference "Nginx:1.26": repository name must be lowercase (column 1)',
    );
  });

  it("is an Error and a ReferenceError", () => {
    const e = refError("Nginx");
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(ReferenceError);
  });

  it("rejects a repository name longer than 255 characters, counting the normalized registry", () => {
    // Docker: strings.Repeat("a/", 128) + "a:tag" is too long.
    expect(refError("a/".repeat(128) + "a:tag").reason).toMatch(/^repository name must not be more than 255 characters/);
    // docker.io/ (10) + 245 = 255 is the longest accepted name.
    const ok = "a/".repeat(122) + "a"; // 245 characters
    expect(repository(parseReference(ok))).toHaveLength(255);
    expect(refError(ok + "b").reason).toBe(
      "repository name must not be more than 255 characters (the normalized name \"docker.io/a/a/a/a/a/a/a/a/a/a/...\" has 256)",
    );
    const longNamespace =
      Array(4).fill("this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255").join("_") + "/docker";
    expect(refError(longNamespace).reason).toMatch(/must not be more than 255 characters/);
  });
});

describe("canonical, familiar, repository", () => {
  // Docker's TestParseRepositoryInfo: familiar form, full form, and ambiguous spellings.
  const cases: [string[], string, string][] = [
    [["fooo/bar", "docker.io/fooo/bar", "index.docker.io/fooo/bar"], "fooo/bar", "docker.io/fooo/bar"],
    [["ubuntu", "docker.io/library/ubuntu", "library/ubuntu"], "ubuntu", "docker.io/library/ubuntu"],
    [["nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu"], "nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu"],
    [["other/library", "docker.io/other/library"], "other/library", "docker.io/other/library"],
    [["127.0.0.1:8000/private/moonbase"], "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase"],
    [["127.0.0.1:8000/privatebase"], "127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase"],
    [["example.com/private/moonbase"], "example.com/private/moonbase", "example.com/private/moonbase"],
    [["example.com:8000/privatebasee"], "example.com:8000/privatebasee", "example.com:8000/privatebasee"],
    [
      ["ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base", "index.docker.io/library/ubuntu-12.04-base"],
      "ubuntu-12.04-base",
      "docker.io/library/ubuntu-12.04-base",
    ],
    [["foo", "docker.io/library/foo", "docker.io/foo"], "foo", "docker.io/library/foo"],
    [["library/foo/bar", "docker.io/library/foo/bar"], "library/foo/bar", "docker.io/library/foo/bar"],
    [["store/foo/bar", "docker.io/store/foo/bar"], "store/foo/bar", "docker.io/store/foo/bar"],
    [["Foo/bar"], "Foo/bar", "Foo/bar"],
    [["FOO/bar"], "FOO/bar", "FOO/bar"],
  ];
  for (const [inputs, familiarForm, full] of cases) {
    for (const input of inputs) {
      it(`${input} -> ${familiarForm} / ${full}`, () => {
        const ref = parseReference(input);
        expect(familiarName(ref)).toBe(familiarForm);
        expect(repository(ref)).toBe(full);
        expect(canonical(ref)).toBe(`${full}:latest`);
        expect(familiar(ref)).toBe(`${familiarForm}:latest`);
      });
    }
  }

  it("keeps tag and digest together in both forms", () => {
    const short = `busybox:latest@sha256:${D64}`;
    const ref = parseReference(short);
    expect(canonical(ref)).toBe(`docker.io/library/${short}`);
    expect(familiar(ref)).toBe(short);
  });

  it("writes a digest-only reference without a tag", () => {
    const ref = parseReference(`docker.io/dmcgowan/myapp@sha256:${D64}`);
    expect(canonical(ref)).toBe(`docker.io/dmcgowan/myapp@sha256:${D64}`);
    expect(familiar(ref)).toBe(`dmcgowan/myapp@sha256:${D64}`);
  });

  it.each([
    ["nginx:1.26", "docker.io/library/nginx:1.26", "nginx:1.26"],
    ["index.docker.io/library/nginx:1.26", "docker.io/library/nginx:1.26", "nginx:1.26"],
    ["gitea/gitea:1.20", "docker.io/gitea/gitea:1.20", "gitea/gitea:1.20"],
    ["ghcr.io/owner/app:v1", "ghcr.io/owner/app:v1", "ghcr.io/owner/app:v1"],
    ["[::1]:5000/foo", "[::1]:5000/foo:latest", "[::1]:5000/foo:latest"],
  ])("%s -> %s, %s", (input, full, short) => {
    const ref = parseReference(input);
    expect(canonical(ref)).toBe(full);
    expect(familiar(ref)).toBe(short);
  });
});

describe("parseRepositoryPath", () => {
  it.each([
    ["tools/gitea:1.20", { path: "tools/gitea", tag: "1.20" }],
    ["tools/gitea", { path: "tools/gitea" }],
    ["gitea", { path: "gitea" }],
    ["a/b/c:V_1", { path: "a/b/c", tag: "V_1" }],
    ["gitea.v2:1", { path: "gitea.v2", tag: "1" }],
  ])("%s", (input, expected) => {
    expect(parseRepositoryPath(input)).toStrictEqual(expected);
  });

  it.each([
    ["", "repository path is empty", 1],
    ["ghcr.io/tools/gitea", 'a registry ("ghcr.io") is not allowed here; give a path below the target namespace', 1],
    ["localhost/gitea", 'a registry ("localhost") is not allowed here; give a path below the target namespace', 1],
    ["host:5000/gitea", 'a registry ("host:5000") is not allowed here; give a path below the target namespace', 1],
    [`tools/gitea@sha256:${H64}`, "a digest is not allowed here; give a path with an optional tag", 12],
    ["Tools/gitea", "repository name must be lowercase", 1],
    ["tools//gitea", 'empty path component (two "/" in a row, or a "/" at an end)', 7],
    ["tools/gitea:", 'tag is empty after ":"', 12],
    ["tools/gitea:1:2", 'invalid character ":" in tag "1:2"', 14],
  ])("rejects %j", (input, reason, column) => {
    try {
      parseRepositoryPath(input);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ReferenceError);
      expect((e as ReferenceError).reason).toBe(reason);
      expect((e as ReferenceError).column).toBe(column);
    }
  });
});

describe("isValidTag", () => {
  it.each([
    ["latest", true],
    ["_", true],
    ["V1.2-rc_3", true],
    ["x".repeat(128), true],
    ["x".repeat(129), false],
    ["", false],
    ["-x", false],
    [".x", false],
    ["a+b", false],
  ])("%j -> %s", (tag, ok) => {
    expect(isValidTag(tag)).toBe(ok);
  });
});
