// Mobile credentials in a controller's snapshot carry their device's public key, so the controller
// verifies a phone's signed token at the door without the server (controller/mobile-doors.ts). The
// key goes on the credential itself — in the person's entry — so a people delta carries a newly
// registered phone like any other credential change. Public keys only: nothing here is a secret.

import { rawPublicKey } from '../../contracts/mobile-token.ts';
import type { SiteDef } from '../../core/model.ts';
import type { Executor } from '../storage/db.ts';
import { MobileStore } from './store.ts';

/** Adds the public key to each mobile credential of the snapshot site (in place). */
export async function addMobileKeysToSnapshot(db: Executor, site: SiteDef): Promise<void> {
  const mobile = site.people.flatMap((p) =>
    p.credentials.filter((c) => c.type === 'mobile' && c.id !== undefined),
  );
  if (mobile.length === 0) return;
  const keys = await new MobileStore(db).publicKeysByHash(mobile.map((c) => c.id!));
  for (const c of mobile) {
    const jwk = keys.get(c.id!);
    if (jwk) c.publicKey = rawPublicKey(jwk);
  }
}
