// Raw r||s → DER conversion and SPKI building, checked against OpenSSL through node:crypto.
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { curveFromEcParams, curveInfo, rawSignatureToDer, spkiFromPoint, unwrapEcPoint } from '../src/ec.js';

const CASES = [
  { curve: 'P-256', hash: 'sha256', oid: '06082a8648ce3d030107' },
  { curve: 'P-384', hash: 'sha384', oid: '06052b81040022' },
  { curve: 'P-521', hash: 'sha512', oid: '06052b81040023' },
] as const;

describe('rawSignatureToDer', () => {
  for (const { curve, hash } of CASES) {
    it(`turns OpenSSL's IEEE P1363 ${curve} signatures into DER that OpenSSL accepts`, () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const info = curveInfo(curve);
      // Enough signatures that r or s with a high bit (needs a 00 prefix) occur. OpenSSL 3 re-encodes the
      // DER it is given and refuses anything non-canonical, so passing verify also proves minimal encoding.
      for (let i = 0; i < 100; i++) {
        const data = Buffer.from(`message ${i}`);
        const raw = sign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        const der = rawSignatureToDer(raw, info);
        expect(verify(hash, data, publicKey, der)).toBe(true);
      }
    });
  }

  it('encodes minimal INTEGERs: leading zeros dropped, 00 added before a high bit', () => {
    const info = curveInfo('P-256');
    const r = Buffer.alloc(32);
    r[31] = 0x05; // r = 5
    const s = Buffer.alloc(32, 0xff); // s has the high bit set
    const der = Buffer.from(rawSignatureToDer(Buffer.concat([r, s]), info));
    expect(der.toString('hex')).toBe(`3026020105022100${'ff'.repeat(32)}`);
  });

  it('rejects a signature of the wrong length', () => {
    expect(() => rawSignatureToDer(new Uint8Array(63), curveInfo('P-256'))).toThrow(
      'The token returned a 63-byte ECDSA signature; 64 bytes were expected for P-256',
    );
  });
});

describe('EC public keys from CKA_EC_PARAMS / CKA_EC_POINT', () => {
  for (const { curve, oid } of CASES) {
    it(`${curve}: builds the same SPKI as OpenSSL from wrapped and bare points`, () => {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const expected = publicKey.export({ type: 'spki', format: 'der' });
      const jwk = publicKey.export({ format: 'jwk' });
      const point = Buffer.concat([
        Buffer.of(4),
        Buffer.from(jwk.x!, 'base64url'),
        Buffer.from(jwk.y!, 'base64url'),
      ]);
      const info = curveFromEcParams(Buffer.from(oid, 'hex'));
      expect(info.curve).toBe(curve);
      // A DER OCTET STRING around the point, as SoftHSM returns it (long form length for P-521).
      const wrapped = Buffer.concat([
        Buffer.of(0x04),
        point.length < 128 ? Buffer.of(point.length) : Buffer.of(0x81, point.length),
        point,
      ]);
      expect(Buffer.from(spkiFromPoint(unwrapEcPoint(wrapped, info), info))).toEqual(expected);
      expect(Buffer.from(spkiFromPoint(unwrapEcPoint(point, info), info))).toEqual(expected);
    });
  }

  it('refuses other curves with their name and broken points', () => {
    expect(() => curveFromEcParams(Buffer.from('06052b8104000a', 'hex'))).toThrow(
      "Unsupported key for curve 'secp256k1'",
    );
    expect(() => curveFromEcParams(Buffer.from('0500', 'hex'))).toThrow('CKA_EC_PARAMS is not a named curve');
    const info = curveInfo('P-256');
    expect(() => unwrapEcPoint(Buffer.alloc(10), info)).toThrow(
      'CKA_EC_POINT is not an uncompressed P-256 point',
    );
    const offCurve = Buffer.concat([Buffer.of(4), Buffer.alloc(64, 1)]);
    expect(() => spkiFromPoint(offCurve, info)).toThrow("the token's P-256 public point is invalid");
  });
});
