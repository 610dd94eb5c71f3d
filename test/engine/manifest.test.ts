import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/engine/manifest.js";

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const index = { schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: digest("a"), size: 10, platform: { os: "linux", architecture: "amd64" } }] };
const image = { schemaVersion: 2, config: { digest: digest("b"), size: 2 }, layers: [{ digest: digest("c"), size: 3 }] };

describe("parseManifest", () => {
  it("trusts a manifest Content-Type over the body", () => {
    expect(parseManifest(JSON.stringify(index), "application/vnd.oci.image.index.v1+json").kind).toBe("index");
    expect(parseManifest(JSON.stringify({ ...image, mediaType: "application/vnd.oci.image.index.v1+json" }), "application/vnd.oci.image.manifest.v1+json; charset=utf-8")).toEqual({
      kind: "image",
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      blobs: [image.config, ...image.layers],
    });
  });

  it("ignores a Content-Type that is no manifest type, and goes by the body", () => {
    expect(parseManifest(JSON.stringify(index), "application/json")).toMatchObject({ kind: "index", mediaType: "", manifests: index.manifests });
    expect(parseManifest(JSON.stringify({ ...index, mediaType: "application/vnd.docker.distribution.manifest.list.v2+json" }), "text/plain").kind).toBe("index");
    expect(parseManifest(JSON.stringify(image), "text/plain").kind).toBe("image");
  });

  it("says in one line what is wrong with bytes that are no manifest", () => {
    expect(() => parseManifest("<html>", "text/html")).toThrow(/^the manifest is not JSON$/);
    expect(() => parseManifest(JSON.stringify({ layers: [] }), "application/vnd.oci.image.manifest.v1+json")).toThrow(/^not a valid image manifest: config: [^\n]+$/);
    expect(() => parseManifest(JSON.stringify({ manifests: [{ digest: "nope", size: 1 }] }))).toThrow(/^not a valid image index: manifests\.0\.digest: [^\n]+$/);
  });
});
