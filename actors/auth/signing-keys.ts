import type { CryptoKey, JWK } from 'jose';
import type { DataClient } from '../ds/protocol.js';
import type { SecretBox } from '../kernel/secret-box.js';
import { newId } from './crypto.js';
import { jose } from './jose.js';
import { ALG } from './policy.js';
import { SIGNING_KEYS } from './tables.js';
import type { Row } from '../../adapters/index.js';
import { MoboError } from '../../runtime/index.js';

/** The key the auth actor signs with: the newest key not retired. */
export interface Signer {
  kid: string;
  key: CryptoKey;
}

/** Makes a fresh Ed25519 key pair; the private half is stored sealed with the node key. */
export async function createSigningKey(store: DataClient, box: SecretBox, now: number): Promise<string> {
  const { generateKeyPair, exportJWK } = await jose();
  const { publicKey, privateKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
  const kid = newId('sk');
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
  const privateJwk = await exportJWK(privateKey);
  await store.insert(
    SIGNING_KEYS,
    [{ kid, alg: ALG, public_jwk: JSON.stringify(publicJwk), private_sealed: box.seal(JSON.stringify(privateJwk)), created_at: now, retired_at: null }],
    false,
  );
  return kid;
}

/**
 * Key rotation: a new key signs from now on; the previous ones are retired but stay in
 * the JWKS and keep verifying until their last token expires (see `verifiesUntil`).
 */
export async function rotateSigningKey(store: DataClient, box: SecretBox, now: number): Promise<{ kid: string; retired: string[] }> {
  const active = await store.select({ table: SIGNING_KEYS, where: { op: 'is', column: 'retired_at', value: null }, columns: ['kid'] });
  const kid = await createSigningKey(store, box, now);
  const retired = active.map((r) => String(r.kid));
  if (retired.length > 0) await store.update(SIGNING_KEYS, { op: 'in', column: 'kid', values: retired }, { retired_at: now }, false);
  return { kid, retired };
}

async function newestKey(store: DataClient): Promise<Row | undefined> {
  return (await store.select({ table: SIGNING_KEYS, where: { op: 'is', column: 'retired_at', value: null }, order: [{ column: 'created_at', direction: 'desc' }], limit: 1 }))[0];
}

function openPrivateKey(box: SecretBox, row: Row): JWK {
  return JSON.parse(box.open(String(row.private_sealed))) as JWK;
}

/**
 * The boot check: the current signing key, if there is one, opens with this node's
 * secrets.key (a cluster node with another key fails here, clearly, not at first login).
 */
export async function checkSigningKey(store: DataClient, box: SecretBox): Promise<void> {
  const row = await newestKey(store);
  if (row) openPrivateKey(box, row);
}

/** The signer, creating the first key on a fresh control store. */
export async function loadSigner(store: DataClient, box: SecretBox, now: number): Promise<Signer> {
  const row = (await newestKey(store)) ?? (await createSigningKey(store, box, now), await newestKey(store));
  if (!row) throw new MoboError('INTERNAL', 'No signing key could be created');
  const { importJWK } = await jose();
  const key = await importJWK(openPrivateKey(box, row), ALG);
  if (key instanceof Uint8Array) throw new MoboError('INTERNAL', 'A signing key is not an asymmetric key');
  return { kid: String(row.kid), key };
}
