import { describe, expect, it } from "vitest";
import { percentDecoded, requestTarget } from "./request-target.js";

describe("requestTarget", () => {
  it("keeps an origin-form target's path and query, // included", () => {
    const url = requestTarget("/cfg/0004f2000001.xml?id=0004f2000001");
    expect([url?.pathname, url?.searchParams.get("id")]).toEqual(["/cfg/0004f2000001.xml", "0004f2000001"]);
    expect(requestTarget("//evil.example/x")?.pathname).toBe("//evil.example/x");
    expect(requestTarget("//")?.pathname).toBe("//");
  });

  it("takes the path of an absolute-form target, and refuses anything else", () => {
    expect(requestTarget("http://box/healthz")?.pathname).toBe("/healthz");
    expect(requestTarget("*")).toBeUndefined();
    expect(requestTarget("")).toBeUndefined();
    expect(requestTarget("http://[::1/x")).toBeUndefined();
  });
});

describe("percentDecoded", () => {
  it("decodes, or says the encoding is broken", () => {
    expect(percentDecoded("00%3A04%3Af2")).toBe("00:04:f2");
    expect(percentDecoded("%zz")).toBeUndefined();
    expect(percentDecoded("%E0%A4%A")).toBeUndefined();
  });
});
