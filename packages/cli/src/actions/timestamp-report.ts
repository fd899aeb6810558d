import type { VerificationResult } from '@model-signing/verifying';

/** One info line per RFC 3161 timestamp of a verified bundle, saying whether it was trusted. */
export function timestampLines(result: VerificationResult): string[] {
  return result.timestamps.map((t, i) => {
    const when = t.time ? t.time.toISOString() : 'unreadable';
    const from = t.authority ? ` by '${t.authority}'` : '';
    const trust = t.verified ? 'verified' : 'not verified: no --timestamp-authority given';
    return `Timestamp ${i + 1}: ${when}${from} (${trust})`;
  });
}

/** The `timestamps` field of `--json` output; absent when the bundle has none. */
export function timestampJson(result: VerificationResult): {
  timestamps?: { time: string | null; authority: string | null; verified: boolean }[];
} {
  if (result.timestamps.length === 0) return {};
  return {
    timestamps: result.timestamps.map((t) => ({
      time: t.time?.toISOString() ?? null,
      authority: t.authority ?? null,
      verified: t.verified,
    })),
  };
}
