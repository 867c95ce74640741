// The live checks the compliance map can name (evaluated by checks.ts against a site's storage and
// settings): one closed list, so a map entry naming a check that does not exist fails validation.

export const CHECK_IDS = [
  'admin-mfa',
  'admin-mfa-required',
  'operator-mfa',
  'password-hashes',
  'lockout',
  'sessions',
  'allow-list',
  'https',
  'data-dir',
  'insecure-reads',
  'broker-tls',
  'controllers',
  'controller-clocks',
  'controller-baseline',
  'audit-chain',
  'checkpoints',
  'retention',
  'my-number-zones',
  'my-number-doors',
  'backup',
  'alarm-notifications',
  'stale-credentials',
  'stale-operators',
  'erasure-certificates',
] as const;

export type CheckId = (typeof CHECK_IDS)[number];
