// Table types for mobile keys (R-KEY-2; same conventions as storage/schema.ts: times in ms). A phone
// registers through a one-time invitation, known here only by the SHA-256 of its token; its device
// is a `mobile` credential of the person (the credentials table: state, revocation, snapshots) with
// the device's public key beside it. No private key is anywhere but on the phone.

export interface MobileInvitationsTable {
  id: string;
  /** SHA-256 hex of the invitation token; the token itself is only in the link handed out */
  token_hash: string;
  person_id: string;
  /** who created it (operator id, `token:<id>`) */
  created_by: string;
  /** the device name suggested to the phone (it may give its own) */
  label: string | null;
  expires_at: number;
  created_at: number;
  /** set once a phone registered with it: an invitation registers one device */
  used_at: number | null;
  /** the credential it registered */
  credential_id: string | null;
}

export interface MobileDevicesTable {
  /** the `mobile` credential (credentials.id) */
  credential_id: string;
  person_id: string;
  /** the keyed hash controllers know the credential by (credentials.ref_hash) */
  ref_hash: string;
  /** JSON of the public JWK {kty:'EC',crv:'P-256',x,y} */
  public_key: string;
  device_name: string;
  invitation_id: string | null;
  created_at: number;
  /** the last open through the server (offline opens show in the event log) */
  last_used_at: number | null;
}

export interface MobileChallengesTable {
  /** the nonce, answered once */
  nonce: string;
  credential_id: string;
  /** the door it opens; '*' for the list of doors */
  door: string;
  issued_at: number;
  expires_at: number;
  used_at: number | null;
}

export type MobileTables = {
  mobile_invitations: MobileInvitationsTable;
  mobile_devices: MobileDevicesTable;
  mobile_challenges: MobileChallengesTable;
};
