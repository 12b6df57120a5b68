// The component roles' passwords reach PostgreSQL as SCRAM-SHA-256 verifiers computed here: the
// verifier must be what PostgreSQL itself would store, or the role could never log in. Checked
// against the exchange of RFC 7677 (user "user", password "pencil").
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scramVerifier } from '../../src/platform/db/role-passwords';

const SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const AUTH_MESSAGE =
  'n=user,r=rOprNGfwEbeRWgbNEkqO,' +
  'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,' +
  'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
const CLIENT_PROOF = Buffer.from('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=', 'base64');
const SERVER_SIGNATURE = '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';

describe('scramVerifier', () => {
  it('is PostgreSQL\'s format, and a server holding it accepts the RFC\'s client and proves itself to it', () => {
    const verifier = scramVerifier('pencil', SALT, 4096);
    const m = /^SCRAM-SHA-256\$4096:([^$]+)\$([^:]+):(.+)$/.exec(verifier);
    expect(m, verifier).not.toBeNull();
    expect(m![1]).toBe(SALT.toString('base64'));
    const storedKey = Buffer.from(m![2]!, 'base64');
    const serverKey = Buffer.from(m![3]!, 'base64');
    // The server's side of the exchange: the client's proof recovers a key whose hash is StoredKey…
    const clientSignature = createHmac('sha256', storedKey).update(AUTH_MESSAGE).digest();
    const clientKey = Buffer.from(CLIENT_PROOF.map((b, i) => b ^ clientSignature[i]!));
    expect(createHash('sha256').update(clientKey).digest().equals(storedKey)).toBe(true);
    // …and its own signature is the one the RFC's client expects.
    expect(createHmac('sha256', serverKey).update(AUTH_MESSAGE).digest('base64')).toBe(SERVER_SIGNATURE);
  });

  it('salts each verifier anew: the same password never gives the same text', () => {
    expect(scramVerifier('pencil')).not.toBe(scramVerifier('pencil'));
  });
});
