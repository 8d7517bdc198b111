/**
 * Option code lists (a client's parameter request list, the codes of a reply) as shared, frozen
 * arrays. The same few lists come with nearly every message of a site, so each message's event
 * reuses one instead of copying it (Array.from on the option's bytes was 3 % of the DHCP thread
 * under load), and the timeline finds equal lists by identity.
 */

/** Distinct lists remembered; a site has a handful (one per phone model and firmware). */
const RECENT_LISTS = 16;
const recent: (readonly number[])[] = [];
let nextSlot = 0;

export function sharedCodeList(codes: ArrayLike<number>): readonly number[] {
  for (let i = 0; i < recent.length; i++) {
    const known = recent[i]!;
    if (sameCodes(known, codes)) return known;
  }
  const list: number[] = new Array(codes.length);
  for (let i = 0; i < codes.length; i++) list[i] = codes[i]!;
  const shared = Object.freeze(list);
  recent[nextSlot] = shared;
  nextSlot = (nextSlot + 1) % RECENT_LISTS;
  return shared;
}

function sameCodes(a: readonly number[], b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
