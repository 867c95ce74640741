// The shape of the compliance map (map.ts): one entry per checklist item, validated with zod when the
// map is loaded, so a map edited into nonsense (an unknown check, a software item without a test, a
// physical item without the operator's duty) stops the report instead of producing a wrong one.

import { z } from 'zod';
import { CHECK_IDS } from './check-ids.ts';

export const ITEM_SOURCES = ['ipa', 'mynumber'] as const;
export type ItemSource = (typeof ITEM_SOURCES)[number];

/** software: Monban does it; configuration: Monban does it once set up so; physical / organisational: the operator does it */
export const ITEM_KINDS = ['software', 'configuration', 'physical', 'organisational'] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];

const text = z.strictObject({ ja: z.string().min(1).max(400), en: z.string().min(1).max(400) });

const feature = z.strictObject({
  ja: z.string().min(1).max(300),
  en: z.string().min(1).max(300),
  /** where it is documented: a docs/ file, optionally with its #section */
  doc: z.string().regex(/^docs\/[a-z0-9-]+\.md(#[a-z0-9-]+)?$/, 'a docs/*.md path, optionally #section'),
});

const testRef = z.strictObject({
  /** a test file, relative to the repository root */
  file: z.string().regex(/^test\/[A-Za-z0-9_./-]+\.test\.ts$/, 'a test/**/*.test.ts path'),
  /** the exact title given to it() or test() in that file */
  name: z.string().min(1).max(300),
});

export const itemSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9-]+$/),
    source: z.enum(ITEM_SOURCES),
    /** the section of the source document the item comes from */
    reference: text,
    title: text,
    kind: z.enum(ITEM_KINDS),
    /** the requirement ids of DESIGN.md the item is built from */
    requirements: z.array(z.string().regex(/^R-[A-Z]+-\d+$/)).max(10),
    features: z.array(feature).max(20),
    checks: z.array(z.enum(CHECK_IDS)).max(20),
    tests: z.array(testRef).max(30),
    /** what the operator must do (physical and organisational items always say) */
    operator: z.array(text).max(10),
  })
  .superRefine((item, ctx) => {
    if ((item.kind === 'software' || item.kind === 'configuration') && item.tests.length === 0)
      ctx.addIssue({ code: 'custom', path: ['tests'], message: `${item.kind} items name at least one test` });
    if (item.kind === 'configuration' && item.checks.length === 0)
      ctx.addIssue({ code: 'custom', path: ['checks'], message: 'configuration items name a live check' });
    if ((item.kind === 'physical' || item.kind === 'organisational') && item.operator.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['operator'],
        message: `${item.kind} items say what the operator must do`,
      });
  });

export type ComplianceItem = z.infer<typeof itemSchema>;
export type TestRef = ComplianceItem['tests'][number];

export const mapSchema = z
  .strictObject({
    version: z.literal(1),
    sources: z.strictObject({ ipa: text, mynumber: text }),
    /** said in the document: what of the sources could be confirmed and what is left to the operator */
    notes: z.array(text).max(10),
    items: z.array(itemSchema).min(1),
  })
  .superRefine((map, ctx) => {
    const seen = new Set<string>();
    map.items.forEach((item, i) => {
      if (seen.has(item.id))
        ctx.addIssue({ code: 'custom', path: ['items', i, 'id'], message: `duplicate id ${item.id}` });
      seen.add(item.id);
    });
  });

export type ComplianceMap = z.infer<typeof mapSchema>;

/** The map, validated; throws with the path of the first problem. */
export function parseMap(input: unknown): ComplianceMap {
  const parsed = mapSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`compliance map: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}
