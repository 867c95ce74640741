// IP allow-list for management access (R-SEC-2): only the listed networks (CIDR, IPv4 and IPv6) reach
// the management server; everyone else gets 403 before any route or login runs. An empty list
// allows everyone (the default for a fresh install on a closed network; operations.md says when to set it).

import { BlockList, isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export function parseAllowList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of cidrs) {
    const [address, prefixText] = entry.trim().split('/');
    const family = isIP(address ?? '');
    if (!address || family === 0) throw new Error(`allow-list entry "${entry}" is not an IP address or CIDR`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (
      !Number.isInteger(prefix) ||
      prefix < 0 ||
      prefix > max ||
      (prefixText !== undefined && !/^\d+$/.test(prefixText))
    )
      throw new Error(`allow-list entry "${entry}" has a bad prefix length`);
    list.addSubnet(address, prefix, type);
  }
  return list;
}

/** Whether the address is on the list; IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) count as IPv4. */
export function isAllowed(list: BlockList, address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const plain = mapped ? mapped[1]! : address;
  const family = isIP(plain);
  if (family === 0) return false;
  return list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
}

/** Adds the onRequest hook; does nothing for an empty list. Register it first, before any route. */
export function registerAllowList(app: FastifyInstance, cidrs: readonly string[]): void {
  if (cidrs.length === 0) return;
  const list = parseAllowList(cidrs);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (isAllowed(list, request.ip)) return;
    request.log.warn({ address: request.ip }, 'management access refused: address not on the allow-list');
    return reply.code(403).send({
      error: { code: 'ADDRESS_NOT_ALLOWED', message: 'this address may not use the management server' },
    });
  });
}
