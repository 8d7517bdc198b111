import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isInZone, normalizeName, resolveInZone } from "./dns-names.js";

describe("normalizeName", () => {
  it("lowercases and drops the trailing dot", () => {
    expect(normalizeName("Pool01.Contoso.COM.")).toEqual({ ok: true, name: "pool01.contoso.com" });
  });
  it("allows SRV owner labels", () => {
    expect(normalizeName("_sipinternaltls._tcp.fabrikam.com")).toEqual({
      ok: true,
      name: "_sipinternaltls._tcp.fabrikam.com",
    });
  });
  it("accepts a 63-octet label and rejects 64", () => {
    expect(normalizeName(`${"a".repeat(63)}.com`).ok).toBe(true);
    const long = normalizeName(`${"a".repeat(64)}.com`);
    expect(long).toEqual({
      ok: false,
      error: `the label "${"a".repeat(64)}" is 64 octets long; at most 63 are allowed`,
    });
  });
  it("accepts 253 characters and rejects 254", () => {
    const name253 = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(57)}.com`;
    expect(name253.length).toBe(253);
    expect(normalizeName(name253).ok).toBe(true);
    expect(normalizeName(`a${name253}`)).toMatchObject({
      ok: false,
      error: expect.stringContaining("254 characters"),
    });
  });
  it.each(["a..b", "-a.com", "a-.com", "a b.com", "*.contoso.com", "é.com"])("rejects %j", (text) => {
    expect(normalizeName(text).ok).toBe(false);
  });
});

describe("resolveInZone", () => {
  it("resolves @, relative and absolute names", () => {
    expect(resolveInZone("@", "contoso.com")).toEqual({ ok: true, name: "contoso.com" });
    expect(resolveInZone("pool01", "contoso.com")).toEqual({ ok: true, name: "pool01.contoso.com" });
    expect(resolveInZone("pool01.contoso.com.", "fabrikam.com")).toEqual({
      ok: true,
      name: "pool01.contoso.com",
    });
  });
  it("knows zone membership by whole labels", () => {
    expect(isInZone("a.contoso.com", "contoso.com")).toBe(true);
    expect(isInZone("contoso.com", "contoso.com")).toBe(true);
    expect(isInZone("notcontoso.com", "contoso.com")).toBe(false);
    expect(isInZone(".contoso.com", "contoso.com")).toBe(true);
    expect(isInZone("com", "contoso.com")).toBe(false);
    expect(isInZone("anything", "")).toBe(true);
  });
  it("agrees with its definition (origin is empty, the name, or a dot-joined suffix) on random names", () => {
    const label = fc.stringMatching(/^[a-c.]{0,6}$/);
    fc.assert(
      fc.property(label, label, (name, origin) => {
        const definition = origin === "" || name === origin || name.endsWith(`.${origin}`);
        expect(isInZone(name, origin)).toBe(definition);
      }),
      { numRuns: 5000 },
    );
  });
});
