import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { Appliance } from "../../src/appliance.js";
import type { DnsService } from "../../src/dns/dns-service.js";
import type { NtpService } from "../../src/ntp/ntp-service.js";
import type { ControlServer } from "../../src/observe/control-server.js";
import { createLogger } from "../../src/observe/log.js";
import { exampleSiteText } from "../helpers/example-site.js";

/**
 * The shipped example turned into a loopback-only site: DHCP off (never in the root namespace),
 * DNS, NTP, TFTP, HTTP and the control endpoint on 127.0.0.1 with ports chosen by the kernel.
 */
export function loopbackSiteText(extraRecords: string[] = []): string {
  let text = exampleSiteText();
  text = text.replace(
    /^ {2}bind: .*$/m,
    "  bind: [127.0.0.1]\n  ports: { dns: 0, ntp: 0, control: 0, tftp: 0, http: 0 }",
  );
  text = text.replace(/^dhcp:\n/m, "dhcp:\n  enabled: false\n");
  text = text.replace(/^ntp:\n/m, "ntp:\n  rateLimit: { enabled: false }\n");
  text = text.replace(/^dns:\n/m, "dns:\n  rateLimit: { responsesPerSecond: 0 }\n");
  const extra = extraRecords.map((r) => `      - ${r}\n`).join("");
  return text.replace(/^ {4}contoso\.com:.*\n/m, (line) => line + extra);
}

export class LoopbackAppliance {
  readonly dir = mkdtempSync(join(tmpdir(), "siteboot-appliance-"));
  readonly file = join(this.dir, "site.yaml");
  readonly logs: string[] = [];
  readonly appliance: Appliance;

  constructor(text = loopbackSiteText(), options: { watchFile?: boolean } = {}) {
    writeFileSync(this.file, text);
    const logs = this.logs;
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    });
    this.appliance = new Appliance({
      file: this.file,
      log: createLogger({ pretty: false, destination, level: "debug" }),
      stateDir: join(this.dir, "state"),
      watchFile: options.watchFile ?? false,
    });
  }

  write(text: string): void {
    writeFileSync(this.file, text);
  }

  get dnsPort(): number {
    const port = (this.appliance.service("dns") as DnsService | undefined)?.addresses().udp[0]?.port;
    if (port === undefined) throw new Error("DNS is not listening");
    return port;
  }

  get ntpPort(): number {
    const port = (this.appliance.service("ntp") as NtpService | undefined)?.addresses()[0]?.port;
    if (port === undefined) throw new Error("NTP is not listening");
    return port;
  }

  get controlUrl(): string {
    const a = (this.appliance.service("control") as ControlServer | undefined)?.address();
    if (!a) throw new Error("control endpoint is not listening");
    return `http://${a.address}:${a.port}`;
  }

  async close(): Promise<void> {
    await this.appliance.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
