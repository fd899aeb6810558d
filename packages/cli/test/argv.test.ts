import { describe, expect, it } from 'vitest';
import { normalizeArgv } from '../src/argv.js';

const names = {
  topLevel: new Set(['sign', 'verify', 'digest', 'trust-instance']),
  methods: {
    sign: new Set(['sigstore', 'key', 'certificate', 'pkcs11-key', 'pkcs11-certificate']),
    verify: new Set(['sigstore', 'key', 'certificate']),
  },
};

describe('normalizeArgv (decision 30, format-and-behaviour §8.1)', () => {
  it('reads _ in option names as -, keeping values', () => {
    expect(
      normalizeArgv(['sign', 'key', '--private_key', 'my_key.pem', '--ignore_paths=a_b', 'm'], names),
    ).toEqual(['sign', 'key', '--private-key', 'my_key.pem', '--ignore-paths=a_b', 'm']);
  });

  it('reads _ in method and command names as -', () => {
    expect(normalizeArgv(['sign', 'pkcs11_key', '--pkcs11_uri', 'u', 'm'], names)).toEqual([
      'sign',
      'pkcs11-key',
      '--pkcs11-uri',
      'u',
      'm',
    ]);
    expect(normalizeArgv(['trust_instance', 'x'], names)[0]).toBe('trust-instance');
  });

  it('runs sigstore when no method is named', () => {
    expect(normalizeArgv(['sign', './model'], names)).toEqual(['sign', 'sigstore', './model']);
    expect(normalizeArgv(['verify', './model', '--identity', 'x'], names)).toEqual([
      'verify',
      'sigstore',
      './model',
      '--identity',
      'x',
    ]);
    expect(normalizeArgv(['sign', '--use_staging', 'm'], names)).toEqual([
      'sign',
      'sigstore',
      '--use-staging',
      'm',
    ]);
  });

  it('keeps global options before the command, with their values', () => {
    expect(normalizeArgv(['--log_level', 'debug', 'verify', 'key', 'm'], names)).toEqual([
      '--log-level',
      'debug',
      'verify',
      'key',
      'm',
    ]);
  });

  it('leaves help requests and arguments after -- alone', () => {
    expect(normalizeArgv(['sign', '--help'], names)).toEqual(['sign', '--help']);
    expect(normalizeArgv(['digest', '--', '--odd_name'], names)).toEqual(['digest', '--', '--odd_name']);
  });
});
