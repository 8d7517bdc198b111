import Mustache from "mustache";
import { macForms } from "./mac-forms.js";

/**
 * Per-phone files rendered from Mustache templates. Mustache is logic-less: a template can only
 * read values from the view, which is plain data built here (no functions), and partials are
 * never loaded, so nothing in a template file can run code or read another file.
 */

export type TemplateVars = Readonly<Record<string, string | number | boolean>>;

/** What is known about the phone a file is rendered for. */
export interface PhoneFacts {
  /** Lowercase colon form. */
  readonly mac: string;
  readonly lease?: {
    readonly address: string;
    readonly hostname?: string;
    readonly vendorClass?: string;
  };
  readonly host?: { readonly name?: string; readonly address?: string };
  /** Site vars overlaid with the reservation's own vars. */
  readonly vars: TemplateVars;
}

export interface SiteFacts {
  readonly name: string;
  readonly sipDomain: string;
  readonly dhcpDomain: string;
  /** This box's address (listen.address). */
  readonly address: string;
  readonly httpUrl: string;
  readonly tftpUrl: string;
}

/**
 * The view a template sees: the MAC in every spelling at the top ({{mac}}, {{MAC}},
 * {{mac_colons}}, ...), then lease, host, vars and site.
 */
export function templateView(site: SiteFacts, phone: PhoneFacts): Record<string, unknown> {
  return {
    ...macForms(phone.mac),
    lease: phone.lease ? { ...phone.lease } : undefined,
    host: phone.host ? { ...phone.host } : undefined,
    vars: { ...phone.vars },
    site: { ...site },
  };
}

const writer = new Mustache.Writer();

/** Undefined when the template parses; else Mustache's message (an unclosed tag or section). */
export function templateError(text: string): string | undefined {
  try {
    writer.parse(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const XML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

/**
 * Renders a template. `{{name}}` is escaped for XML when `xml` is set and written as it is
 * otherwise; `{{{name}}}` is never escaped.
 */
export function renderTemplate(text: string, view: Record<string, unknown>, xml: boolean): string {
  const escapeValue = xml
    ? (v: unknown) => String(v).replace(/[&<>"']/g, (c) => XML_ESCAPES[c] as string)
    : String;
  return writer.render(text, view, () => undefined, { escape: escapeValue });
}

/** A name ending .xml (before any .mustache): its values are escaped for XML unless told otherwise. */
export function isXmlName(name: string): boolean {
  return /\.xml(\.mustache)?$/i.test(name);
}

/** Forgets parsed templates (after a reload, so edited files do not accumulate). */
export function forgetTemplates(): void {
  writer.clearCache();
}
