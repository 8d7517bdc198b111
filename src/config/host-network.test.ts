import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { devicesOf, type HostFiles, ipv6Of, localIpv4Of, readHostNetwork } from "./host-network.js";

const DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  130406     1716    0    0    0     0          0         0   130406    1716    0    0    0     0       0          0
  lab0:       0        0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
eth0.100:     0        0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
`;

// A namespace with loopback up and 198.51.100.2/24 on lab0, which is down.
const FIB_TRIE = `Main:
  +-- 0.0.0.0/0 2 0 2
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     |-- 198.51.100.2
        /32 host LOCAL
Local:
  +-- 0.0.0.0/0 2 0 2
     +-- 198.51.100.0/24 2 0 2
        |-- 198.51.100.0
           /24 link UNICAST
        |-- 198.51.100.2
           /32 host LOCAL
`;

const IF_INET6 = `20010db8000000000000000000000002 03 40 00 c0     lab0
20010db8000000000000000000000003 03 40 00 88     lab0
20010db8000000000000000000000004 03 40 00 44     lab0
fe80000000000000b0c1f2fffe000001 02 40 20 80     eth0
00000000000000000000000000000001 01 80 10 80       lo
`;

describe("reading the host's interfaces and addresses", () => {
  it("lists every device of /proc/net/dev, down or up", () => {
    expect(devicesOf(DEV)).toEqual(["lo", "lab0", "eth0.100"]);
  });

  it("takes the local IPv4 addresses and ranges of fib_trie, not broadcast or network entries", () => {
    expect(localIpv4Of(FIB_TRIE)).toEqual(["127.0.0.0/8", "127.0.0.1", "198.51.100.2"]);
  });

  it("keeps usable IPv6 addresses (optimistic ones too), sets tentative ones apart, drops failed ones", () => {
    expect(ipv6Of(IF_INET6)).toEqual({
      usable: ["2001:db8::4", "fe80::b0c1:f2ff:fe00:1", "::1"],
      tentative: ["2001:db8::2"],
    });
  });

  it("joins /proc with what os.networkInterfaces() sees (address labels such as eth0:1)", () => {
    const files: HostFiles = {
      file: (path) =>
        ({ "/proc/self/net/dev": DEV, "/proc/self/net/fib_trie": FIB_TRIE })[path] ?? fail(path),
      dir: fail,
    };
    const up = {
      "eth0:1": [
        {
          address: "192.0.2.9",
          netmask: "255.255.255.0",
          family: "IPv4",
          mac: "",
          internal: false,
          cidr: null,
        },
      ],
    } as unknown as Parameters<typeof readHostNetwork>[1];
    expect(readHostNetwork(files, up)).toEqual({
      interfaces: ["eth0.100", "eth0:1", "lab0", "lo"],
      addresses: ["127.0.0.0/8", "127.0.0.1", "198.51.100.2", "192.0.2.9"],
      tentative: [],
    });
  });

  it("falls back to /sys/class/net for the names when /proc cannot be read", () => {
    const files: HostFiles = {
      file: fail,
      dir: (path) => (path === "/sys/class/net" ? ["lo", "lab0"] : fail(path)),
    };
    expect(readHostNetwork(files, {})).toEqual({ interfaces: ["lab0", "lo"], addresses: [], tentative: [] });
  });

  it("reads the real host without throwing, loopback included", () => {
    const host = readHostNetwork();
    expect(host.interfaces).toContain("lo");
    expect(host.addresses).toContain("127.0.0.1");
  });

  it("never throws on arbitrary text, and returns only well-formed entries", () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom(..." |-+/:.\n\n\n0123456789abcdefLOCALhost".split("")),
          maxLength: 300,
        }),
        (text) => {
          for (const name of devicesOf(text)) expect(name).toMatch(/^[^:\s]+$/);
          for (const a of localIpv4Of(text)) expect(a).toMatch(/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/);
          const v6 = ipv6Of(text);
          for (const a of [...v6.usable, ...v6.tentative]) expect(a).toContain(":");
        },
      ),
      { numRuns: 2000 },
    );
  });
});

function fail(path: string): never {
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
}
