// The systemd units in deploy/ stay usable: each service runs a `monban` command that exists, keeps
// the hardening options, and passes `systemd-analyze verify` where systemd is installed.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.ts';

const deploy = new URL('../../deploy/', import.meta.url).pathname;
const units = readdirSync(deploy).filter((f) => f.endsWith('.service') || f.endsWith('.timer'));
const services = units.filter((f) => f.endsWith('.service'));

function settings(file: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of readFileSync(`${deploy}${file}`, 'utf8').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) map.set(m[1]!, [...(map.get(m[1]!) ?? []), m[2]!]);
  }
  return map;
}

const HARDENING = [
  'NoNewPrivileges',
  'CapabilityBoundingSet',
  'ProtectSystem',
  'ProtectHome',
  'PrivateTmp',
  'ProtectKernelTunables',
  'ProtectKernelModules',
  'ProtectControlGroups',
  'RestrictAddressFamilies',
  'RestrictNamespaces',
  'LockPersonality',
  'SystemCallFilter',
  'SystemCallArchitectures',
];

const analyze = (() => {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('systemd units', () => {
  it('has the server, controller and doctor units', () => {
    expect(services.sort()).toEqual([
      'monban-controller.service',
      'monban-doctor.service',
      'monban-server.service',
    ]);
  });

  it.each(services)(
    '%s runs an existing monban command under a non-root user with hardening',
    async (file) => {
      const s = settings(file);
      expect(s.get('User')?.[0]).toMatch(/^monban/);
      for (const key of HARDENING) expect(s.has(key), `${file}: ${key}`).toBe(true);
      expect(s.get('NoNewPrivileges')).toEqual(['yes']);
      expect(s.get('ProtectSystem')).toEqual(['strict']);
      expect(s.get('CapabilityBoundingSet')).toEqual(['']);
      const exec = s.get('ExecStart')![0]!.split(/\s+/);
      expect(exec.slice(0, 2)).toEqual(['/usr/bin/node', '/opt/monban/bin/monban.js']);
      const program = await buildProgram(exec.slice(2));
      const names = program.commands.map((c) => c.name());
      expect(names).toContain(exec[2]);
    },
  );

  it('keeps the controller running whatever the exit', () => {
    const s = settings('monban-controller.service');
    expect(s.get('Restart')).toEqual(['always']);
    expect(s.get('StartLimitIntervalSec')).toEqual(['0']);
  });

  it.skipIf(!analyze)('passes systemd-analyze verify', () => {
    for (const file of units)
      expect(() =>
        execFileSync('systemd-analyze', ['verify', '--man=no', `${deploy}${file}`], { stdio: 'pipe' }),
      ).not.toThrow();
  });
});
