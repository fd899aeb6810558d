// The cases of upstream tests/_signing/pkcs11uri_test.py (TestPkcs11URI) and the vectors of spec §3.1/§3.2.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escapeValue, Pkcs11Error, Pkcs11Uri, parsePkcs11Uri, redactPin } from '@model-signing/pkcs11';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ascii = (text: string) => new TextEncoder().encode(text);

function verifyPin(uri: Pkcs11Uri, expected: string) {
  expect(uri.hasPin()).toBe(true);
  expect(uri.getPin()).toBe(expected);
}

function testConstruct(uri: Pkcs11Uri, expectedUri: string) {
  expect(uri.format()).toBe(expectedUri);
  const withPin = `${expectedUri}?pin-value=the%20pin`;
  uri.addQueryAttribute('pin-value', 'the%20pin');
  expect(uri.format()).toBe(withPin);
  verifyPin(uri, 'the pin');
  uri.removeQueryAttribute('pin-value');
  uri.addQueryAttributeUnencoded('pin-value', ascii('the pin'));
  expect(uri.format()).toBe(withPin);
  verifyPin(uri, 'the pin');
}

describe('Pkcs11Uri (pkcs11uri_test.py)', () => {
  it('test_construct1: id given percent-encoded is always fully escaped', () => {
    const uri = new Pkcs11Uri();
    uri.addPathAttribute('id', '%66oo');
    testConstruct(uri, 'pkcs11:id=%66%6F%6F');
  });

  it('test_construct2: id given as bytes', () => {
    const uri = new Pkcs11Uri();
    uri.addPathAttributeUnencoded('id', Uint8Array.of(0x66, 0x6f, 0x6f));
    testConstruct(uri, 'pkcs11:id=%66%6F%6F');
  });

  it('test_construct3: slot-id as text', () => {
    const uri = new Pkcs11Uri();
    uri.addPathAttribute('slot-id', '12345');
    testConstruct(uri, 'pkcs11:slot-id=12345');
  });

  it('test_construct4: slot-id as bytes', () => {
    const uri = new Pkcs11Uri();
    uri.addPathAttributeUnencoded('slot-id', ascii('12345'));
    testConstruct(uri, 'pkcs11:slot-id=12345');
  });

  describe('test_pin_source', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ms-pin-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reads the PIN from file:/abs and /abs', async () => {
      const file = join(dir, 'pinfile');
      await writeFile(file, '4321');
      const uri = new Pkcs11Uri();
      uri.addPathAttribute('id', 'foo');
      uri.addQueryAttribute('pin-source', `file:${file}`, true);
      expect(uri.format()).toBe(`pkcs11:id=%66%6F%6F?pin-source=file:${escapeValue(ascii(file), false)}`);
      verifyPin(uri, '4321');

      uri.removeQueryAttribute('pin-source');
      uri.addQueryAttribute('pin-source', file, true);
      expect(uri.format()).toBe(`pkcs11:id=%66%6F%6F?pin-source=${escapeValue(ascii(file), false)}`);
      verifyPin(uri, '4321');
    });

    it('accepts file:///abs and drops exactly one trailing newline (decision 27)', async () => {
      const lf = join(dir, 'lf');
      const crlf = join(dir, 'crlf');
      const two = join(dir, 'two');
      await writeFile(lf, '1234\n');
      await writeFile(crlf, '1234\r\n');
      await writeFile(two, '1234\n\n');
      expect(parsePkcs11Uri(`pkcs11:?pin-source=file://${lf}`).getPin()).toBe('1234');
      expect(parsePkcs11Uri(`pkcs11:?pin-source=${crlf}`).getPin()).toBe('1234');
      expect(parsePkcs11Uri(`pkcs11:?pin-source=file:${two}`).getPin()).toBe('1234\n');
    });

    it('refuses other schemes, relative paths and unreadable files without showing a PIN', () => {
      expect(() => parsePkcs11Uri('pkcs11:?pin-source=https://example.com/pin').getPin()).toThrow(
        'PIN URI scheme https is not supported: https://example.com/pin',
      );
      expect(() => parsePkcs11Uri('pkcs11:?pin-source=file:relative/pin').getPin()).toThrow(
        "PIN URI path 'relative/pin' is not absolute",
      );
      expect(() => parsePkcs11Uri(`pkcs11:?pin-source=${join(dir, 'missing')}`).getPin()).toThrow(
        /Cannot read the PIN file '.*missing' named by pin-source \(ENOENT\)/,
      );
      expect(() => new Pkcs11Uri().getPin()).toThrow('Neither pin-source nor pin-value are available');
      expect(new Pkcs11Uri().hasPin()).toBe(false);
    });
  });

  it('test_bad_input', () => {
    const uri = new Pkcs11Uri();
    for (const [name, value, message] of [
      ['slot-id', 'foo', 'slot-id must be a number'],
      ['library-version', 'foo', "Invalid format for library-version 'foo'"],
      ['library-version', '1.bar', "Invalid format for library-version '1.bar'"],
      ['type', 'foobar', "Invalid type 'foobar'"],
    ] as const) {
      uri.addPathAttribute(name, value);
      expect(() => uri.validate()).toThrow(message);
      uri.removePathAttribute(name);
    }
    // Spec §3.1: more bad values the same checks catch.
    expect(() => parsePkcs11Uri('pkcs11:slot-id=')).toThrow('slot-id must be a number: ');
    expect(() => parsePkcs11Uri('pkcs11:library-version=1.2.3')).toThrow(
      "Invalid format for library-version '1.2.3'",
    );
    expect(() => parsePkcs11Uri('pkcs11:object=k?pin-value=1&pin-source=/p')).toThrow(
      'URI must not contain pin-source and pin-value',
    );
    expect(() => parsePkcs11Uri('pkcs11:object=k?module-path=lib.so')).toThrow(
      'path lib.so of module-path attribute must be absolute',
    );
  });

  it('test_good_input', () => {
    const uri = new Pkcs11Uri();
    for (const [name, value] of [
      ['slot-id', '1'],
      ['library-version', '7'],
      ['library-version', '1.8'],
      ['type', 'public'],
    ] as const) {
      uri.addPathAttribute(name, value);
      expect(() => uri.validate()).not.toThrow();
      uri.removePathAttribute(name);
    }
    // slot-id only needs a digit here; `1a` and `-1` fail when the slot is looked up.
    expect(() => parsePkcs11Uri('pkcs11:slot-id=1a;type=')).not.toThrow();
    expect(() => parsePkcs11Uri('pkcs11:slot-id=-1')).not.toThrow();
  });

  it('test_uris: re-formatting keeps the length', () => {
    for (const text of [
      'pkcs11:',
      'pkcs11:object=my-pubkey;type=public',
      'pkcs11:object=my-key;type=private?pin-source=file:/etc/token',
      'pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=?pin-source=file:/etc/token_pin',
      'pkcs11:object=my-sign-key;type=private?module-name=mypkcs11',
      'pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmypkcs11.so.1',
      'pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.?pin-value=the-pin',
      'pkcs11:slot-description=Sun%20Metaslot',
      'pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;library-description=Soft%20Token%20Library;library-version=1.23',
      'pkcs11:token=My%20token%25%20created%20by%20Joe;library-version=3;id=%01%02%03%Ba%dd%Ca%fe%04%05%06',
      'pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;object=my-certificate;type=cert',
      'pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1;object=my-certificate;type=cert',
      'pkcs11:token=my-token;object=my-certificate;type=cert;vendor-aaa=value-a?pin-source=file:/etc/token_pin&vendor-bbb=value-b',
    ]) {
      const formatted = parsePkcs11Uri(text).format();
      expect(formatted.length, text).toBe(text.length);
      expect(formatted.toLowerCase(), text).toBe(text.toLowerCase());
    }
  });

  it('test_validate_escaped_attrs', () => {
    const cases = [
      {
        uri: 'pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.?pin-value=the-pin',
        testp: ['token', 'Software PKCS#11 softtoken', 'Software%20PKCS%2311%20softtoken'],
        format: false,
      },
      {
        uri: 'pkcs11:token=My%20token%25%20created%20by%20Joe;library-version=3;id=%01%02%03%Ba%dd%Ca%fe%04%05%06',
        testp: ['token', 'My token% created by Joe', 'My%20token%25%20created%20by%20Joe'],
        format: false,
      },
      {
        // pk11-query-res-avail and pk11-path-res-avail special characters
        uri: "pkcs11:token=:[]@!$'()*+,=&?attr=:[]@!$'()*+,=/?",
        testp: ['token', ":[]@!$'()*+,=&", ":[]@!$'()*+,=&"],
        testq: ['attr', ":[]@!$'()*+,=/?", ":[]@!$'()*+,=/?"],
        format: true,
      },
      {
        // (some) unnecessarily escaped characters
        uri: 'pkcs11:token=%3a%5b%5d%40%21%24%27%28%29%2a%2b%2c%26%3d-%60%20%3c%3e%7b',
        testp: ['token', ":[]@!$'()*+,&=-` <>{", ":[]@!$'()*+,&=-%60%20%3C%3E%7B"],
        format: false,
      },
      {
        // non-printable characters that have to be escaped
        uri: 'pkcs11:token=%00%01%02Hello%FF%FE',
        testp: ['token', '\x00\x01\x02Hello\xff\xfe', '%00%01%02Hello%FF%FE'],
        format: true,
      },
    ];
    const uri = new Pkcs11Uri();
    for (const c of cases) {
      uri.parse(c.uri);
      expect(uri.getPathAttribute(c.testp[0]!, false)).toBe(c.testp[1]);
      expect(uri.getPathAttribute(c.testp[0]!, true)).toBe(c.testp[2]);
      if (c.testq) {
        expect(uri.getQueryAttribute(c.testq[0]!, false)).toBe(c.testq[1]);
        expect(uri.getQueryAttribute(c.testq[0]!, true)).toBe(c.testq[2]);
      }
      if (c.format) expect(uri.format()).toBe(c.uri);
    }
    expect(uri.getPathAttributeBytes('token')).toEqual(
      Uint8Array.of(0, 1, 2, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0xff, 0xfe),
    );
  });
});

describe('Pkcs11Uri grammar (spec §3.1)', () => {
  const malformed = (text: string, message: string) => {
    let caught: unknown;
    try {
      parsePkcs11Uri(text);
    } catch (error) {
      caught = error;
    }
    expect(caught, text).toBeInstanceOf(Pkcs11Error);
    expect((caught as Pkcs11Error).code).toBe('URI_MALFORMED');
    expect((caught as Pkcs11Error).message).toContain(message);
  };

  it('rejects a missing or miscased prefix, masking any PIN in the quoted text', () => {
    malformed('PKCS11:object=k', "Malformed pkcs11 URI: missing 'pkcs11:' prefix: PKCS11:object=k");
    expect(() => parsePkcs11Uri('pkcs:object=k?pin-value=secret')).toThrow(
      "missing 'pkcs11:' prefix: pkcs:object=k?pin-value=***",
    );
    expect(() => parsePkcs11Uri('pkcs:object=k?pin-value=secret')).not.toThrow(/secret/);
  });

  it('rejects empty and unnamed path and query pieces', () => {
    malformed('pkcs11:;', 'Malformed pkcs11 URI: malformed path attribute');
    malformed('pkcs11:object=a;', 'Malformed pkcs11 URI: malformed path attribute');
    malformed('pkcs11:object', 'Malformed pkcs11 URI: malformed path attribute');
    malformed('pkcs11:?', 'Malformed pkcs11 URI: malformed query attribute');
    malformed('pkcs11:object=k?a', 'Malformed pkcs11 URI: malformed query attribute');
    malformed('pkcs11:object=k?a=1&', 'Malformed pkcs11 URI: malformed query attribute');
  });

  it('rejects repeated names', () => {
    malformed('pkcs11:object=a;object=b', 'duplicate path attribute');
    malformed('pkcs11:?pin-value=1&pin-value=2', 'duplicate query attribute');
    expect(() => new Pkcs11Uri().addPathAttributeUnencoded('id', ascii('x'))).not.toThrow();
  });

  it('splits at the first = and the first ?, decodes %XX in either case, keeps + and bad escapes', () => {
    const uri = parsePkcs11Uri('pkcs11:object=a=b;token=a+b%4%zz%4a%4A?x=1?2&y=');
    expect(uri.getPathAttribute('object')).toBe('a=b');
    expect(uri.getPathAttribute('token')).toBe('a+b%4%zzJJ');
    expect(uri.getQueryAttribute('x')).toBe('1?2');
    expect(uri.getQueryAttribute('y')).toBe('');
    expect(uri.pathAttributeNames()).toEqual(['object', 'token']);
    expect(uri.queryAttributeNames()).toEqual(['x', 'y']);
  });

  it('stores bytes: one character per byte, UTF-8 on request', () => {
    const uri = parsePkcs11Uri('pkcs11:token=%C3%A1;object=caf%C3%A9');
    expect(uri.getPathAttribute('token')).toBe('Ã¡');
    expect(uri.getPathAttributeText('token')).toBe('á');
    expect(uri.getPathAttributeText('object')).toBe('café');
    expect(uri.getPathAttribute('token', true)).toBe('%C3%A1');
  });

  it('escapes path and query values differently (spec examples)', () => {
    const value = ascii('a b/c?d|e&f;g%h=i:j');
    expect(escapeValue(value, true)).toBe('a%20b%2Fc%3Fd%7Ce&f%3Bg%25h=i:j');
    expect(escapeValue(value, false)).toBe('a%20b/c?d|e%26f%3Bg%25h=i:j');
    expect(escapeValue(Uint8Array.of(0xe9), true)).toBe('%E9');
    const uri = new Pkcs11Uri();
    uri.addPathAttribute('token', 'a b&c;d', true);
    uri.addQueryAttribute('module-name', 'x/y&z', true);
    expect(uri.format()).toBe('pkcs11:token=a%20b&c%3Bd?module-name=x/y%26z');
  });

  it('set replaces in place, remove drops, keys come from id and object', () => {
    const uri = parsePkcs11Uri('pkcs11:token=t;object=k;id=%01');
    uri.setPathAttribute('token', 'u');
    expect(uri.format()).toBe('pkcs11:token=u;object=k;id=%01');
    expect(uri.getKeyIdAndLabel()).toEqual({ id: Uint8Array.of(1), label: 'k' });
    uri.removePathAttribute('object');
    expect(uri.getKeyIdAndLabel()).toEqual({ id: Uint8Array.of(1) });
    uri.removePathAttribute('id');
    expect(() => uri.getKeyIdAndLabel()).toThrow(
      "Neither 'id' nor 'object' attributes were found in pkcs11 URI",
    );
  });

  it('toString masks pin-value, format keeps it', () => {
    const uri = parsePkcs11Uri('pkcs11:object=k?pin-value=12%2034&module-name=softhsm2');
    expect(uri.format()).toBe('pkcs11:object=k?pin-value=12%2034&module-name=softhsm2');
    expect(String(uri)).toBe('pkcs11:object=k?pin-value=***&module-name=softhsm2');
    expect(redactPin('x;pin-value=1;y')).toBe('x;pin-value=***;y');
  });
});
