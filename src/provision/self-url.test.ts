import { describe, expect, it } from "vitest";
import { parseIpv4 } from "../config/ipv4.js";
import { expandSelf } from "./self-url.js";

const self = parseIpv4("198.51.100.2") as number;
const ports = { http: 80, https: 443, tftp: 69 };

describe("self in option 66 and 160", () => {
  it.each([
    [66, "self", "198.51.100.2"],
    [66, "tftp://self/", "tftp://198.51.100.2/"],
    [160, "http://self/cfg/$MA.xml", "http://198.51.100.2/cfg/$MA.xml"],
    [160, "HTTPS://self:8443/x", "HTTPS://198.51.100.2:8443/x"],
    [160, "http://selfish.example/", "http://selfish.example/"],
    [66, "pbx.example.com", "pbx.example.com"],
    [67, "self", "self"],
  ])("option %i %s → %s", (code, value, expected) => {
    expect(expandSelf(code, value, self, ports)).toBe(expected);
  });

  it("adds the configured port when it is not the scheme's default", () => {
    expect(expandSelf(160, "http://self/p", self, { ...ports, http: 8080 })).toBe(
      "http://198.51.100.2:8080/p",
    );
    expect(expandSelf(66, "tftp://self", self, { ...ports, tftp: 6969 })).toBe("tftp://198.51.100.2:6969");
  });
});
