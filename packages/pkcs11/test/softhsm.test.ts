// Real SoftHSM2 token: signing with each curve, checked independently with p11tool's public key and
// `openssl dgst -verify`; token/key selection; bad input, each with a clear error and nothing left open.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exportPublicKeyPem, openModuleCount, openPkcs11Key, Pkcs11Error } from '@model-signing/pkcs11';
import graphene from 'graphene-pk11';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CURVES, createSoftHsmToken, type SoftHsmToken, softHsmSkipReason } from './softhsm.js';

const skipReason = softHsmSkipReason();
const KEY_IDS = { 'P-256': '01', 'P-384': '02', 'P-521': '03' } as const;

/** Checks a DER signature with the openssl CLI against a PEM public key; true when OpenSSL says so. */
function opensslVerifies(
  dir: string,
  pem: string,
  digest: string,
  data: Uint8Array,
  der: Uint8Array,
): boolean {
  const pub = join(dir, 'pub.pem');
  const msg = join(dir, 'msg.bin');
  const sig = join(dir, 'sig.der');
  writeFileSync(pub, pem);
  writeFileSync(msg, data);
  writeFileSync(sig, der);
  try {
    const out = execFileSync('openssl', ['dgst', `-${digest}`, '-verify', pub, '-signature', sig, msg], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return out.includes('Verified OK');
  } catch {
    return false;
  }
}

async function failure(promise: Promise<unknown>): Promise<Pkcs11Error> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(Pkcs11Error);
    return error as Pkcs11Error;
  }
  throw new Error('expected a Pkcs11Error');
}

describe.skipIf(skipReason !== undefined)(
  `PKCS #11 on SoftHSM2${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let token: SoftHsmToken;

    beforeAll(async () => {
      token = await createSoftHsmToken();
      for (const { keyType, curve } of CURVES) token.generateKey(keyType, KEY_IDS[curve], `key-${curve}`);
      token.generateKey('rsa:2048', '04', 'key-rsa');
      token.generateKey('EC:prime256v1', '05', 'no-public');
      token.deleteObject('pubkey', '05');
    });

    afterAll(async () => {
      await token?.cleanup();
    });

    afterEach(() => {
      // Every test closes what it opened: no module stays in our registry, and the library was finalised or
      // unloaded (a fresh C_Initialize in this process fails with CKR_CRYPTOKI_ALREADY_INITIALIZED otherwise;
      // checked by leaving out finalize and close in session.ts).
      expect(openModuleCount()).toBe(0);
      const module = graphene.Module.load(token.module);
      try {
        module.lib.C_Initialize();
        module.lib.C_Finalize();
      } finally {
        module.close();
      }
    });

    for (const { curve, digest } of CURVES) {
      it(`signs with ${curve}; openssl verifies with the public key p11tool exports`, async () => {
        const id = KEY_IDS[curve];
        const key = await openPkcs11Key(token.uri(`object=key-${curve}`));
        try {
          expect(key.curve).toBe(curve);
          expect(key.slotId).toBe(token.slotId);
          expect(key.tokenLabel).toBe(token.label);
          expect(key.label).toBe(`key-${curve}`);
          expect(Buffer.from(key.id!).toString('hex')).toBe(id);
          const pem = token.exportPublicKeyWithP11tool(id);
          expect(key.publicKeyPem).toBe(pem);
          const data = new TextEncoder().encode(`payload for ${curve}`);
          const signature = await key.sign(data);
          expect(opensslVerifies(token.dir, pem, digest, data, signature)).toBe(true);
          // The same signature over other data must not verify: the check can fail.
          expect(opensslVerifies(token.dir, pem, digest, new TextEncoder().encode('other'), signature)).toBe(
            false,
          );
        } finally {
          await key.close();
        }
      });

      it(`exports the ${curve} public key as the same PEM as p11tool, without a PIN`, async () => {
        const uri = `pkcs11:token=${token.label};id=%${KEY_IDS[curve]}?module-path=${token.module}`;
        expect(await exportPublicKeyPem(uri)).toBe(token.exportPublicKeyWithP11tool(KEY_IDS[curve]));
      });
    }

    it('selects by id only, by slot-id, by slot-id and token, and by module-name in given directories', async () => {
      const pem = token.exportPublicKeyWithP11tool('02');
      for (const uri of [
        token.uri('id=%02'),
        `pkcs11:slot-id=${token.slotId};id=%02?pin-value=${token.pin}&module-path=${token.module}`,
        `pkcs11:slot-id=${token.slotId};token=${token.label};object=key-P-384;id=%02?pin-value=${token.pin}&module-path=${token.module}`,
        `pkcs11:token=${token.label};id=%02?pin-value=${token.pin}&module-name=softhsm2`,
      ]) {
        const key = await openPkcs11Key(uri, { modulePaths: [`${dirname(token.module)}/`] });
        try {
          expect(key.publicKeyPem, uri).toBe(pem);
          const signature = await key.sign(Uint8Array.of(1, 2, 3));
          expect(opensslVerifies(token.dir, pem, 'sha384', Uint8Array.of(1, 2, 3), signature)).toBe(true);
        } finally {
          await key.close();
        }
      }
    });

    it('ignores type=public and signs with the private key of the same id (as upstream)', async () => {
      const key = await openPkcs11Key(token.uri('id=%01;object=key-P-256;type=public'));
      const signature = await key.sign(Uint8Array.of(9));
      await key.close();
      expect(
        opensslVerifies(
          token.dir,
          token.exportPublicKeyWithP11tool('01'),
          'sha256',
          Uint8Array.of(9),
          signature,
        ),
      ).toBe(true);
    });

    it('reads the PIN from a pin-source file ending in a newline', async () => {
      const pinFile = join(token.dir, 'pin.txt');
      writeFileSync(pinFile, `${token.pin}\n`);
      const key = await openPkcs11Key(
        `pkcs11:token=${token.label};object=key-P-256?pin-source=file:${pinFile}&module-path=${token.module}`,
      );
      expect(key.curve).toBe('P-256');
      await key.close();
    });

    it('keeps two keys of one token open at once and serialises concurrent signatures', async () => {
      const a = await openPkcs11Key(token.uri('id=%01'));
      const b = await openPkcs11Key(token.uri('id=%03'));
      const data = Array.from({ length: 4 }, (_, i) => Uint8Array.of(i));
      const signatures = await Promise.all([...data.map((d) => a.sign(d)), ...data.map((d) => b.sign(d))]);
      await a.close();
      // b is still logged in and usable after a closed.
      const late = await b.sign(Uint8Array.of(42));
      await b.close();
      await b.close();
      const pemA = token.exportPublicKeyWithP11tool('01');
      const pemB = token.exportPublicKeyWithP11tool('03');
      data.forEach((d, i) => {
        expect(opensslVerifies(token.dir, pemA, 'sha256', d, signatures[i]!)).toBe(true);
        expect(opensslVerifies(token.dir, pemB, 'sha512', d, signatures[i + 4]!)).toBe(true);
      });
      expect(opensslVerifies(token.dir, pemB, 'sha512', Uint8Array.of(42), late)).toBe(true);
      expect((await failure(a.sign(Uint8Array.of(1)))).code).toBe('KEY_CLOSED');
    });

    it('with two keys of one label, pairs the private key with the public key of the same id', async () => {
      token.generateKey('EC:prime256v1', '10', 'same-label');
      token.generateKey('EC:prime256v1', '11', 'same-label');
      const key = await openPkcs11Key(token.uri('object=same-label'));
      try {
        const data = Uint8Array.of(7, 7);
        const signature = await key.sign(data);
        const pem = token.exportPublicKeyWithP11tool(Buffer.from(key.id!).toString('hex'));
        expect(key.publicKeyPem).toBe(pem);
        expect(opensslVerifies(token.dir, pem, 'sha256', data, signature)).toBe(true);
      } finally {
        await key.close();
      }
    });

    it("fails closed when the token's public-key object is not the private key's pair", async () => {
      token.generateKey('EC:prime256v1', '0d', 'mismatch');
      token.deleteObject('pubkey', '0d');
      // Copy the public key of another key pair under the label and id of the lone private key.
      const module = graphene.Module.load(token.module);
      module.lib.C_Initialize();
      try {
        const slot = [...module.getSlots(true)].find((s) => s.getToken().label === token.label)!;
        const session = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
        session.login(token.pin, graphene.UserType.USER);
        const other = session
          .find({ class: graphene.ObjectClass.PUBLIC_KEY, id: Buffer.from('01', 'hex') })
          .items(0);
        session.copy(other, { label: 'mismatch', id: Buffer.from('0d', 'hex') });
        session.logout();
        session.close();
      } finally {
        module.lib.C_Finalize();
        module.close();
      }
      const key = await openPkcs11Key(token.uri('object=mismatch'));
      try {
        const error = await failure(key.sign(Uint8Array.of(1)));
        expect(error.code).toBe('SIGN_FAILED');
        expect(error.message).toBe(
          "The token's signature does not verify with the public key with label 'mismatch': the public-key object " +
            'on the token is not the pair of the private key',
        );
      } finally {
        await key.close();
      }
    });

    it('does not finalise a library that other code in the process initialised', async () => {
      const other = graphene.Module.load(token.module);
      other.lib.C_Initialize();
      try {
        const key = await openPkcs11Key(token.uri('object=key-P-256'));
        await key.sign(Uint8Array.of(1));
        await key.close();
        // Still initialised: our close left the other user's C_Initialize alone.
        expect(() => other.lib.C_Initialize()).toThrow('CKR_CRYPTOKI_ALREADY_INITIALIZED');
      } finally {
        other.lib.C_Finalize();
        other.close();
      }
    });

    describe('bad input: a clear error, nothing left open, and the token still opens afterwards', () => {
      afterEach(async () => {
        const key = await openPkcs11Key(token.uri('object=key-P-256'));
        await key.close();
      });

      it('wrong PIN', async () => {
        const error = await failure(
          openPkcs11Key(
            `pkcs11:token=${token.label};object=key-P-256?pin-value=97531&module-path=${token.module}`,
          ),
        );
        expect(error.code).toBe('LOGIN_FAILED');
        expect(error.message).toBe(`Login to PKCS #11 token '${token.label}' failed: the PIN is incorrect`);
        expect(error.message).not.toContain('97531');
      });

      it('wrong PIN in a pin-source file', async () => {
        const pinFile = join(token.dir, 'bad-pin.txt');
        writeFileSync(pinFile, '86420\n');
        const error = await failure(
          openPkcs11Key(
            `pkcs11:token=${token.label};object=key-P-256?pin-source=${pinFile}&module-path=${token.module}`,
          ),
        );
        expect(error.code).toBe('LOGIN_FAILED');
        expect(error.message).not.toContain('86420');
      });

      it('missing token', async () => {
        const error = await failure(
          openPkcs11Key(
            `pkcs11:token=no-such-token;object=key-P-256?pin-value=1234&module-path=${token.module}`,
          ),
        );
        expect(error.code).toBe('TOKEN_NOT_FOUND');
        expect(error.message).toBe('Could not find a token with label no-such-token in any slots');
      });

      it('slot-id that does not exist, and a token label that does not match the slot', async () => {
        const missing = await failure(
          openPkcs11Key(`pkcs11:slot-id=4242;object=x?module-path=${token.module}`),
        );
        expect(missing.message).toBe('There is no slot with slot-id 4242');
        const mismatch = await failure(
          openPkcs11Key(`pkcs11:slot-id=${token.slotId};token=other;object=x?module-path=${token.module}`),
        );
        expect(mismatch.message).toBe(`The token in slot ${token.slotId} is not called 'other'`);
        const negative = await failure(
          openPkcs11Key(`pkcs11:slot-id=-1;object=x?module-path=${token.module}`),
        );
        expect(negative.message).toBe('slot-id is a negative number');
        const huge = await failure(
          openPkcs11Key(`pkcs11:slot-id=4294967296;object=x?module-path=${token.module}`),
        );
        expect(huge.message).toBe('slot-id is larger than 32 bit');
        const noToken = await failure(openPkcs11Key(`pkcs11:object=x?module-path=${token.module}`));
        expect(noToken.message).toBe('Need a token due to missing slot-id');
      });

      it('a slot-id whose token is not initialised (SoftHSM always offers a free slot)', async () => {
        const listing = execFileSync('pkcs11-tool', ['--module', token.module, '--list-slots'], {
          env: token.env,
          encoding: 'utf8',
        });
        const free = /Slot \d+ \(0x([0-9a-f]+)\):[^\n]*\n\s*token state:\s*uninitialized/.exec(listing);
        expect(free, listing).not.toBeNull();
        const slotId = Number.parseInt(free![1]!, 16);
        const error = await failure(
          openPkcs11Key(`pkcs11:slot-id=${slotId};object=x?module-path=${token.module}`),
        );
        expect(error.code).toBe('TOKEN_NOT_FOUND');
        expect(error.message).toBe(`The token in slot ${slotId} is not initialised`);
      });

      it('no key with that label, id, or both', async () => {
        for (const [selector, text] of [
          ['object=nope', "label 'nope'"],
          ['id=%7f', 'id %7F'],
          ['object=key-P-256;id=%02', "label 'key-P-256' and id %02"],
        ]) {
          const error = await failure(openPkcs11Key(token.uri(selector!)));
          expect(error.code).toBe('KEY_NOT_FOUND');
          expect(error.message).toBe(
            `Could not find a private key with ${text} on PKCS #11 token '${token.label}'`,
          );
        }
        const neither = await failure(openPkcs11Key(token.uri('type=private')));
        expect(neither.message).toBe("Neither 'id' nor 'object' attributes were found in pkcs11 URI");
      });

      it('no PIN: the private key is invisible, and the message says to log in', async () => {
        const error = await failure(
          openPkcs11Key(`pkcs11:token=${token.label};object=key-P-256?module-path=${token.module}`),
        );
        expect(error.code).toBe('KEY_NOT_FOUND');
        expect(error.message).toBe(
          `Could not find a private key with label 'key-P-256' on PKCS #11 token '${token.label}' ` +
            '(private keys are visible only after login: add pin-value or pin-source)',
        );
      });

      it('a private key without a public-key object', async () => {
        const error = await failure(openPkcs11Key(token.uri('object=no-public')));
        expect(error.code).toBe('PUBLIC_KEY_NOT_FOUND');
        expect(error.message).toContain(
          "holds the private key with label 'no-public' but no public-key object",
        );
        const exported = await failure(exportPublicKeyPem(token.uri('object=no-public')));
        expect(exported.code).toBe('PUBLIC_KEY_NOT_FOUND');
      });

      it('an RSA key', async () => {
        const error = await failure(openPkcs11Key(token.uri('object=key-rsa')));
        expect(error.code).toBe('UNSUPPORTED_KEY');
        expect(error.message).toBe(
          "Only elliptic curve keys are supported: the private key with label 'key-rsa' is of type RSA",
        );
      });

      it('a module path that does not exist, and a file that is not a PKCS #11 module', async () => {
        const missing = await failure(
          openPkcs11Key(
            `pkcs11:token=${token.label};object=key-P-256?module-path=/nonexistent/libsofthsm2.so`,
          ),
        );
        expect(missing.code).toBe('MODULE_NOT_FOUND');
        expect(missing.message).toBe('PKCS #11 module not found: /nonexistent/libsofthsm2.so');
        const notLibrary = join(token.dir, 'not-a-module.so');
        writeFileSync(notLibrary, 'text');
        const bad = await failure(
          openPkcs11Key(`pkcs11:token=${token.label};object=key-P-256?module-path=${notLibrary}`),
        );
        expect(bad.code).toBe('MODULE_LOAD_FAILED');
        expect(bad.message).toContain(`Cannot load PKCS #11 module ${notLibrary}`);
        const unnamed = await failure(openPkcs11Key(`pkcs11:token=${token.label};object=key-P-256`));
        expect(unnamed.message).toBe('module-name attribute is not set');
      });
    });
  },
);
