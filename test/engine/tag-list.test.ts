import { describe, expect, it } from "vitest";
import { nextLink } from "../../src/engine/tag-list.js";

describe("nextLink", () => {
  it("reads rel=next from a Link header as Docker Hub, GHCR and distribution 3 send it", () => {
    expect(nextLink('</v2/library/nginx/tags/list?last=1.27&n=100>; rel="next"')).toBe("/v2/library/nginx/tags/list?last=1.27&n=100");
    expect(nextLink('<https://ghcr.io/v2/a/b/tags/list?n=2&last=x>; rel=next')).toBe("https://ghcr.io/v2/a/b/tags/list?n=2&last=x");
    expect(nextLink('</first>; rel="first", </v2/a/tags/list?last=b>; rel="prev next"')).toBe("/v2/a/tags/list?last=b");
  });
  it("is null without a next link", () => {
    expect(nextLink(null)).toBeNull();
    expect(nextLink('</v2/a/tags/list?last=b>; rel="prev"')).toBeNull();
    expect(nextLink("garbage")).toBeNull();
  });
});
