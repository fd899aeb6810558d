import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { CLI_BIN } from '../../../test-support/paths.js';
import { formatDuration, renderBar } from '../src/progress.js';
import { opensslKeyPair } from './openssl-keys.js';

/**
 * What a terminal shows after `raw` is written to it: `\r` returns to the first column, `\n` starts a line,
 * `ESC [ 2 K` erases the line and `ESC [ K` its end, and every other character overwrites the cell under the
 * cursor. Enough of a VT100 to see the debris a shorter redraw leaves behind.
 */
function screen(raw: string): string[] {
  const rows: string[][] = [[]];
  let row = 0;
  let col = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\x1b') {
      const m = /^\x1b\[(\d*)([A-Za-z])/.exec(raw.slice(i, i + 8));
      if (m) {
        if (m[2] === 'K' && m[1] === '2') rows[row] = [];
        else if (m[2] === 'K') rows[row]!.length = Math.min(rows[row]!.length, col);
        i += m[0].length - 1;
        continue;
      }
    }
    if (c === '\r') col = 0;
    else if (c === '\n') {
      row++;
      rows[row] ??= [];
      col = 0;
    } else rows[row]![col++] = c;
  }
  return rows
    .map((cells) =>
      Array.from(cells, (cell) => cell ?? ' ')
        .join('')
        .trimEnd(),
    )
    .filter(Boolean);
}

/** Runs `command` on a pseudo-terminal (`script` from util-linux) and returns everything the terminal got. */
function onTerminal(command: string, cwd: string): string {
  return execFileSync('script', ['-qefc', command, '/dev/null'], { cwd }).toString();
}

describe('the progress bar', () => {
  let dir: string;
  let model: string;
  let priv: string;
  let pub: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ms-progress-'));
    model = path.join(dir, 'model');
    mkdirSync(model);
    // Two files, so that the file count and the byte count change length while the bar is redrawn.
    writeFileSync(path.join(model, 'weights.bin'), Buffer.alloc(96 * 1024 * 1024, 7));
    writeFileSync(path.join(model, 'small.bin'), 'small');
    ({ priv, pub } = opensslKeyPair(dir));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['digest', () => `${CLI_BIN} digest model`, /^sha256:[0-9a-f]{64}$/, 'Hashing'],
    [
      'sign',
      () => `${CLI_BIN} sign key --private-key ${priv} --signature model.sig model`,
      /^Signing succeeded$/,
      'Signing',
    ],
    [
      'verify',
      () => `${CLI_BIN} verify key --public-key ${pub} --signature model.sig model`,
      /^Verification succeeded$/,
      'Verifying',
    ],
  ])(
    '%s draws bytes, rate and ETA on a terminal, then leaves a clean screen',
    (_name, command, last, label) => {
      const raw = onTerminal(command(), dir);
      expect(raw).toMatch(
        new RegExp(
          `${label} \\[[#-]{10,30}\\] +\\d+% [0-9.]+ [KMG]?i?B/96\\.0 MiB [0-9.]+ [KMG]?i?B/s ETA \\d+:\\d\\d \\d/2 files`,
        ),
      );
      // Every frame starts by erasing its line, so a shorter frame cannot leave the end of a longer one.
      const frames = raw.split(`\r\x1b[2K${label} [`).length - 1;
      expect(frames).toBeGreaterThan(0);
      expect(raw.split(`${label} [`).length - 1).toBe(frames);
      const shown = screen(raw);
      expect(shown).toHaveLength(1);
      expect(shown[0]).toMatch(last);
    },
  );

  it('debug lines printed while the bar is up take their own lines, without debris', () => {
    const raw = onTerminal(
      `${CLI_BIN} --log-level debug sign key --private-key ${priv} --signature debug.sig model`,
      dir,
    );
    expect(raw).toContain('Signing [');
    const shown = screen(raw);
    expect(shown.some((line) => line.includes('Signing ['))).toBe(false);
    expect(shown[0]).toMatch(/^signing \/.* into \/.*debug\.sig$/);
    expect(shown).toContainEqual(expect.stringMatching(/^hashed 2 of 2 files, 100663301 bytes /));
    expect(shown.at(-1)).toBe('Signing succeeded');
  });

  it('the tiny terminal emulation sees the debris an unerased redraw would leave', () => {
    expect(screen('\r12/12 files\r1/12 files')).toEqual(['1/12 filess']);
    expect(screen('\r12/12 files\r\x1b[2K1/12 files\nok')).toEqual(['1/12 files', 'ok']);
  });

  it('stays silent on a pipe and with --json', async () => {
    const piped = await runCli(['sign', 'key', '--private-key', priv, '--signature', 'pipe.sig', 'model'], {
      cwd: dir,
    });
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
    const raw = onTerminal(`${CLI_BIN} digest --json model`, dir);
    expect(raw).not.toContain('Hashing [');
    expect(JSON.parse(raw.trim()).status).toBe('success');
  });

  it('renders one frame within the terminal width', () => {
    const progress = { bytesHashed: 512 << 20, totalBytes: 1 << 30, filesHashed: 3, totalFiles: 10 };
    expect(renderBar('Signing', progress, 2000, 200)).toBe(
      `Signing [${'#'.repeat(15)}${'-'.repeat(15)}]  50% 512.0 MiB/1.0 GiB 256.0 MiB/s ETA 0:02 3/10 files`,
    );
    // On 80 columns the bar shrinks so that the figures fit in 79.
    const narrow = renderBar('Signing', progress, 2000, 80);
    expect(narrow).toBe(
      `Signing [${'#'.repeat(7)}${'-'.repeat(7)}]  50% 512.0 MiB/1.0 GiB 256.0 MiB/s ETA 0:02 3/10 files`,
    );
    expect(narrow).toHaveLength(79);
    expect(renderBar('Signing', progress, 2000, 40)).toHaveLength(39);
    expect(formatDuration(3725)).toBe('1:02:05');
  });
});

describe('SIGINT', () => {
  let dir: string;
  let priv: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ms-sigint-'));
    const model = path.join(dir, 'model');
    mkdirSync(model);
    // Sparse files: large enough that hashing is still running when Ctrl-C arrives, without writing 1 GiB.
    for (let i = 0; i < 4; i++) {
      const file = path.join(model, `w${i}.bin`);
      writeFileSync(file, '');
      truncateSync(file, 256 * 1024 * 1024);
    }
    priv = path.join(dir, 'key.pem');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', priv]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function interruptAtFirstFrame(
    child: ChildProcess,
    label: string,
  ): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve, reject) => {
      let output = '';
      let sent = false;
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (!sent && output.includes(`${label} [`)) {
          sent = true;
          // Ctrl-C typed on the terminal: the line discipline sends SIGINT to the foreground process.
          child.stdin!.write('\x03');
        }
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
    });
  }

  it('stops a running sign: exit 130, one line "interrupted", no signature and no temporary file', async () => {
    const command = `${CLI_BIN} sign key --private-key ${priv} --signature model.sig model`;
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      cwd: dir,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const { code, output } = await interruptAtFirstFrame(child, 'Signing');
    expect(code).toBe(130);
    expect(screen(output).filter((line) => line !== '^C')).toEqual(['interrupted']);
    expect(readdirSync(dir).sort()).toEqual(['key.pem', 'model']);
  });

  it('with --json, prints an INTERRUPTED failure', async () => {
    // No bar with --json: SIGINT goes straight to the process, on a pipe.
    const child = spawn(
      CLI_BIN,
      [
        '--log-level',
        'debug',
        'sign',
        'key',
        '--private-key',
        priv,
        '--json',
        '--signature',
        'model.sig',
        'model',
      ],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    let stdout = '';
    let sent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // The debug log's first line comes from the running command, after SIGINT is handled.
        if (!sent && stderr.includes('signing ')) sent = child.kill('SIGINT');
      });
      child.on('close', resolve);
    });
    expect(code).toBe(130);
    expect(JSON.parse(stdout)).toEqual({
      status: 'failure',
      exitCode: 130,
      code: 'INTERRUPTED',
      error: 'interrupted',
    });
    expect(readdirSync(dir).sort()).toEqual(['key.pem', 'model']);
  });
});
