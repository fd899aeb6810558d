import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** A P-256 key pair made by openssl in `dir`: `key.pem` (SEC1) and `key.pub.pem` (SPKI). */
export function opensslKeyPair(dir: string): { priv: string; pub: string } {
  const priv = path.join(dir, 'key.pem');
  const pub = path.join(dir, 'key.pub.pem');
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', priv]);
  execFileSync('openssl', ['ec', '-in', priv, '-pubout', '-out', pub], { stdio: 'ignore' });
  return { priv, pub };
}
