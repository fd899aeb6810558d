/**
 * The TUF root of the Sigstore staging instance (`https://tuf-repo-cdn.sigstage.dev`), vendored because
 * `@sigstore/tuf` ships only the production root. Public data, copied from sigstore-python's
 * `sigstore/_store/https%3A%2F%2Ftuf-repo-cdn.sigstage.dev/root.json`. It is only a trust anchor: TUF rotates
 * to the newest root online, so an old (even expired) version here is fine as long as its keys signed the next.
 * Embedded as a module (not a .json asset) so that `tsc -b` puts it into dist without a copy step.
 * @module
 */

/** The staging TUF `root.json`, as parsed JSON. */
export const STAGING_TUF_ROOT: Readonly<Record<string, unknown>> = {
  signatures: [
    {
      keyid: 'aa61e09f6af7662ac686cf0c6364079f63d3e7a86836684eeced93eace3acd81',
      sig: '304502201419a6f003291be4cd00c110a00e9d9b152a78181ed3c54edf9d22a79938276f022100f751058c6c3eb6aecf277db367b4858d3612abd1ad96c40fd71ebbd26c944055',
    },
    {
      keyid: '61f9609d2655b346fcebccd66b509d5828168d5e447110e261f0bcc8553624bc',
      sig: '3045022007313e0afd5f282a1383a4f8f7a150e266a059420e1036eee222ce0053e36a67022100dfb05a4d1e6be2f43ce30f030783ff7a747cda5d84f341fd03b06dff32fba5bd',
    },
    {
      keyid: '9471fbda95411d10109e467ad526082d15f14a38de54ea2ada9687ab39d8e237',
      sig: '',
    },
    {
      keyid: '0374a9e18a20a2103736cb4277e2fdd7f8453642c7d9eaf4ad8aee9cf2d47bb5',
      sig: '',
    },
  ],
  signed: {
    _type: 'root',
    consistent_snapshot: true,
    expires: '2026-10-16T19:39:43Z',
    keys: {
      '0374a9e18a20a2103736cb4277e2fdd7f8453642c7d9eaf4ad8aee9cf2d47bb5': {
        keytype: 'ecdsa',
        keyval: {
          public:
            '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEoxkvDOmtGEknB3M+ZkPts8joDM0X\nIH5JZwPlgC2CXs/eqOuNF8AcEWwGYRiDhV/IMlQw5bg8PLICQcgsbrDiKg==\n-----END PUBLIC KEY-----\n',
        },
        scheme: 'ecdsa-sha2-nistp256',
        'x-tuf-on-ci-keyowner': '@mnm678',
      },
      '61f9609d2655b346fcebccd66b509d5828168d5e447110e261f0bcc8553624bc': {
        keytype: 'ecdsa',
        keyval: {
          public:
            '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE++Wv+DcLRk+mfkmlpCwl1GUi9EMh\npBUTz8K0fH7bE4mQuViGSyWA/eyMc0HvzZi6Xr0diHw0/lUPBvok214YQw==\n-----END PUBLIC KEY-----\n',
        },
        scheme: 'ecdsa-sha2-nistp256',
        'x-tuf-on-ci-keyowner': '@kommendorkapten',
      },
      '9471fbda95411d10109e467ad526082d15f14a38de54ea2ada9687ab39d8e237': {
        keytype: 'ecdsa',
        keyval: {
          public:
            '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEFHDb85JH+JYR1LQmxiz4UMokVMnP\nxKoWpaEnFCKXH8W4Fc/DfIxMnkpjCuvWUBdJXkO0aDIxwsij8TOFh2R7dw==\n-----END PUBLIC KEY-----\n',
        },
        scheme: 'ecdsa-sha2-nistp256',
        'x-tuf-on-ci-keyowner': '@joshuagl',
      },
      aa61e09f6af7662ac686cf0c6364079f63d3e7a86836684eeced93eace3acd81: {
        keytype: 'ecdsa',
        keyval: {
          public:
            '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEohqIdE+yTl4OxpX8ZxNUPrg3SL9H\nBDnhZuceKkxy2oMhUOxhWweZeG3bfM1T4ZLnJimC6CAYVU5+F5jZCoftRw==\n-----END PUBLIC KEY-----\n',
        },
        scheme: 'ecdsa-sha2-nistp256',
        'x-tuf-on-ci-keyowner': '@jku',
      },
      c3479007e861445ce5dc109d9661ed77b35bbc0e3f161852c46114266fc2daa4: {
        keytype: 'ecdsa',
        keyval: {
          public:
            '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExxmEtmhF5U+i+v/6he4BcSLzCgMx\n/0qSrvDg6bUWwUrkSKS2vDpcJrhGy5fmmhRrGawjPp1ALpC3y1kqFTpXDg==\n-----END PUBLIC KEY-----\n',
        },
        scheme: 'ecdsa-sha2-nistp256',
        'x-tuf-on-ci-online-uri':
          'gcpkms:projects/projectsigstore-staging/locations/global/keyRings/tuf-keyring/cryptoKeys/tuf-key/cryptoKeyVersions/2',
      },
    },
    roles: {
      root: {
        keyids: [
          'aa61e09f6af7662ac686cf0c6364079f63d3e7a86836684eeced93eace3acd81',
          '61f9609d2655b346fcebccd66b509d5828168d5e447110e261f0bcc8553624bc',
          '9471fbda95411d10109e467ad526082d15f14a38de54ea2ada9687ab39d8e237',
          '0374a9e18a20a2103736cb4277e2fdd7f8453642c7d9eaf4ad8aee9cf2d47bb5',
        ],
        threshold: 2,
      },
      snapshot: {
        keyids: ['c3479007e861445ce5dc109d9661ed77b35bbc0e3f161852c46114266fc2daa4'],
        threshold: 1,
        'x-tuf-on-ci-expiry-period': 3650,
        'x-tuf-on-ci-signing-period': 365,
      },
      targets: {
        keyids: [
          'aa61e09f6af7662ac686cf0c6364079f63d3e7a86836684eeced93eace3acd81',
          '61f9609d2655b346fcebccd66b509d5828168d5e447110e261f0bcc8553624bc',
          '9471fbda95411d10109e467ad526082d15f14a38de54ea2ada9687ab39d8e237',
          '0374a9e18a20a2103736cb4277e2fdd7f8453642c7d9eaf4ad8aee9cf2d47bb5',
        ],
        threshold: 1,
      },
      timestamp: {
        keyids: ['c3479007e861445ce5dc109d9661ed77b35bbc0e3f161852c46114266fc2daa4'],
        threshold: 1,
        'x-tuf-on-ci-expiry-period': 7,
        'x-tuf-on-ci-signing-period': 6,
      },
    },
    spec_version: '1.0',
    version: 14,
    'x-tuf-on-ci-expiry-period': 182,
    'x-tuf-on-ci-signing-period': 35,
  },
};
