import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { YamlSource } from "./yaml-source.js";

const at = (source: YamlSource, ...path: (string | number)[]) => {
  const { line, col } = source.at(path);
  return `${line}:${col}`;
};
const keyAt = (source: YamlSource, ...path: (string | number)[]) => {
  const { line, col } = source.keyAt(path);
  return `${line}:${col}`;
};
const errors = (text: string) =>
  new YamlSource(text, "t.yaml").syntaxDiagnostics().map((d) => `${d.line}:${d.col}: ${d.message}`);

describe("YamlSource", () => {
  const text = [
    "site:", // 1
    "  name: lab", // 2
    '  quoted: "x y"', // 3
    "  single: 'q'", // 4
    "  empty:", // 5
    "list:", // 6
    "  - plain", // 7
    "  - &anchor [1, 2]", // 8
    "  - !!str 42", // 9
    "  - *anchor", // 10
    "flow: {a: 1, b: [x, 'y']}", // 11
    "",
  ].join("\n");
  const source = new YamlSource(text, "t.yaml");

  it("loads the value", () => {
    expect(source.syntaxDiagnostics()).toEqual([]);
    expect(source.toJS()).toEqual({
      site: { name: "lab", quoted: "x y", single: "q", empty: null },
      list: ["plain", [1, 2], "42", [1, 2]],
      flow: { a: 1, b: ["x", "y"] },
    });
  });

  it("places values at their first character: the quote, the anchor or the tag", () => {
    expect(at(source, "site")).toBe("2:3");
    expect(at(source, "site", "name")).toBe("2:9");
    expect(at(source, "site", "quoted")).toBe("3:11");
    expect(at(source, "site", "single")).toBe("4:11");
    expect(at(source, "list")).toBe("7:3");
    expect(at(source, "list", 0)).toBe("7:5");
    expect(at(source, "list", 1)).toBe("8:5");
    expect(at(source, "list", 2)).toBe("9:5");
    expect(at(source, "list", 3)).toBe("10:5");
    expect(at(source, "flow", "b", 1)).toBe("11:21");
  });

  it("places keys, an empty value at its key, and a missing path at its closest ancestor", () => {
    expect(keyAt(source, "site", "quoted")).toBe("3:3");
    expect(keyAt(source, "flow", "b")).toBe("11:14");
    expect(at(source, "site", "empty")).toBe("5:3");
    expect(at(source, "site", "missing", "deeper")).toBe("2:3");
    expect(at(source, "list", 9)).toBe("7:3");
    expect(at(source, "flow", "a", "not-a-mapping")).toBe("11:11");
  });

  it("answers whether a path is present and what is there", () => {
    expect(source.has(["site", "empty"])).toBe(true);
    expect(source.valueAt(["site", "empty"])).toBeNull();
    expect(source.has(["site", "nothing"])).toBe(false);
    expect(source.valueAt(["list", 1, 0])).toBe(1);
    expect(source.has(["list", "toString"])).toBe(false);
  });

  it("reports syntax errors at their position", () => {
    expect(errors("a: 1\nb: 2\na: 3\n")).toEqual(["3:1: YAML: duplicated mapping key"]);
    expect(errors("a:\n\tb: 1\n")).toEqual(["2:1: YAML: tab characters must not be used in indentation"]);
    expect(errors("a: [1,\n")[0]).toMatch(/^2:1: YAML: deficient indentation \(or a \[/);
    expect(errors("a: !custom 1\n")).toEqual(["1:4: YAML: unknown scalar tag !<!custom>"]);
  });

  it("says to quote a value that starts with the reserved @ or `, at that character", () => {
    const quote = (c: string) =>
      `YAML: a value cannot start with an unquoted "${c}" (YAML reserves it): quote the whole value, e.g. - "@ A 198.51.100.10"`;
    expect(errors("z:\n  - www A 198.51.100.10\n  - @ A 198.51.100.10\n")).toEqual([`3:5: ${quote("@")}`]);
    expect(errors("z: [www A 198.51.100.10, @ A 198.51.100.10]\n")).toEqual([`1:26: ${quote("@")}`]);
    expect(errors("z: @\n")).toEqual([`1:4: ${quote("@")}`]);
    expect(errors("z:\n  - `x`\n")).toEqual([`2:5: ${quote("`")}`]);
    // An error elsewhere on a line that holds an @ keeps the parser's words.
    expect(errors('z: "a @ b\n')[0]).not.toContain("reserves");
  });

  it("hints how to write a record line that starts with a quoted @", () => {
    expect(errors('z:\n  - "@" A 198.51.100.10\n')[0]).toContain('quote the whole record line, e.g. - "@ A');
  });

  it("refuses a second document, with or without content", () => {
    expect(errors("a: 1\n---\nb: 2\n")).toEqual([
      "3:1: YAML: the file holds more than one document (a second --- starts one); write one",
    ]);
    expect(errors("---\na: 1\n---\n")).toEqual([
      "3:1: YAML: the file holds more than one document (a second --- starts one); write one",
    ]);
    expect(errors("---\na: 1\n")).toEqual([]);
  });

  it("reads an empty file as nothing", () => {
    expect(new YamlSource("", "t.yaml").toJS()).toBeNull();
    expect(new YamlSource("# only a comment\n", "t.yaml").toJS()).toBeNull();
  });

  it("refuses aliases that expand into a flood of nodes", () => {
    const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    const bomb = new YamlSource(`${lines.join("\n")}\n`, "t.yaml");
    expect(bomb.syntaxDiagnostics().map((d) => d.message)).toEqual([
      "YAML: the aliases expand to more than 200000 nodes; write the values out",
    ]);
    expect(bomb.toJS()).toBeNull();
    const many = Array.from({ length: 101 }, (_, i) => `k${i}: *a`).join("\n");
    expect(errors(`a: &a 1\n${many}\n`)[0]).toMatch(/^\d+:\d+: YAML: .*alias/i);
  });

  it("never throws on arbitrary text, and every error has a position inside the file", () => {
    const alphabet = fc.constantFrom(..."ab:- \n\t[]{},'\"&*!#|>?%@`~.0123456789".split(""));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 120 }), (chars) => {
        const text = chars.join("");
        const source = new YamlSource(text, "t.yaml");
        const lines = text.split("\n").length;
        for (const d of source.syntaxDiagnostics()) {
          expect(d.line).toBeGreaterThanOrEqual(1);
          expect(d.line).toBeLessThanOrEqual(lines);
          expect(d.col).toBeGreaterThanOrEqual(1);
        }
        source.at(["a", 0, "b"]);
        source.keyAt(["a"]);
      }),
      { numRuns: 3000 },
    );
  });
});
