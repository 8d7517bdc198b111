/**
 * An HTTP request target as a URL: the origin form ("/path?query"), prefixed rather than resolved
 * against a base so that "//name" stays a path and not a host, or the absolute form
 * ("http://host/path"); undefined for anything else ("*", garbage).
 */
export function requestTarget(target: string): URL | undefined {
  try {
    return new URL(target.startsWith("/") ? `http://request.invalid${target}` : target);
  } catch {
    return undefined;
  }
}

/** decodeURIComponent, or undefined when the percent-encoding is broken. */
export function percentDecoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
