import { BlockList, isIP } from 'node:net';

/**
 * IP ranges of API key scopes: IPv4 and IPv6 CIDRs (or single addresses). An IPv4
 * client seen through a dual-stack socket (`::ffff:10.0.0.1`, or uWebSockets' full
 * form `0000:…:ffff:0a00:0001`) is matched as the IPv4 address it is.
 */
export function parseCidr(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [rawAddress, rawPrefix, extra] = cidr.trim().split('/');
  if (extra !== undefined || !rawAddress) return undefined;
  const address = normalizeIp(rawAddress);
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = rawPrefix === undefined ? max : Number(rawPrefix);
  if (!/^\d{1,3}$/.test(rawPrefix ?? String(max)) || prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export function isCidr(cidr: string): boolean {
  return parseCidr(cidr) !== undefined;
}

/** Compiled once per scopes array (a cached principal keeps the same one), not per request. */
const compiled = new WeakMap<readonly string[], BlockList>();

export function ipInRanges(ip: string, cidrs: readonly string[]): boolean {
  const address = normalizeIp(ip);
  const version = isIP(address);
  if (version === 0) return false;
  let list = compiled.get(cidrs);
  if (!list) {
    list = new BlockList();
    for (const cidr of cidrs) {
      const parsed = parseCidr(cidr);
      if (parsed) list.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
    compiled.set(cidrs, list);
  }
  return list.check(address, version === 4 ? 'ipv4' : 'ipv6');
}

/** An IPv4-mapped IPv6 address becomes plain IPv4; anything else is returned as given. */
export function normalizeIp(ip: string): string {
  const trimmed = ip.trim().replace(/^\[|\]$/g, '');
  if (isIP(trimmed) !== 6) return trimmed;
  const dotted = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed);
  if (dotted && isIP(dotted[1]!) === 4) return dotted[1]!;
  const groups = expandIpv6(trimmed);
  if (groups && groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6]!, groups[7]!];
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  return trimmed;
}

function expandIpv6(ip: string): number[] | undefined {
  if (ip.includes('.')) return undefined;
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const parse = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<number>(Math.max(0, fill)).fill(0), ...right];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}
