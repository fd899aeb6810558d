/** Global options that take a value, so the command word is found after them. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--log-level']);

/** Turns `--private_key` into `--private-key` (and `--x_y=v` into `--x-y=v`); values are left alone. */
function normalizeOption(token: string): string {
  if (!token.startsWith('--')) return token;
  const equals = token.indexOf('=');
  const name = equals < 0 ? token : token.slice(0, equals);
  const rest = equals < 0 ? '' : token.slice(equals);
  return name.replaceAll('_', '-') + rest;
}

/** Names of the commands a group accepts, so `pkcs11_key` can be read as `pkcs11-key`. */
export interface CommandNames {
  /** Top-level command names. */
  readonly topLevel: ReadonlySet<string>;
  /** Methods of `sign` and `verify`. */
  readonly methods: { readonly sign: ReadonlySet<string>; readonly verify: ReadonlySet<string> };
}

function normalizeWord(word: string, known: ReadonlySet<string>): string {
  const dashed = word.replaceAll('_', '-');
  return known.has(dashed) ? dashed : word;
}

/**
 * Rewrites the command line the way the Python CLI reads it: option and command names with `_` are read as
 * `-` (decision 30), and `sign` / `verify` followed by something that is not a method run the default
 * method, `sigstore` (format-and-behaviour §8.1).
 */
export function normalizeArgv(argv: readonly string[], names: CommandNames): string[] {
  const out: string[] = [];
  let i = 0;
  let optionsEnded = false;
  const push = (token: string) => {
    if (token === '--') optionsEnded = true;
    out.push(optionsEnded ? token : normalizeOption(token));
  };
  // Global options come before the command word.
  while (i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '--') {
    const token = normalizeOption(argv[i]!);
    push(token);
    i++;
    if (GLOBAL_OPTIONS_WITH_VALUE.has(token) && i < argv.length) out.push(argv[i++]!);
  }
  if (i >= argv.length) return out;
  const command = normalizeWord(argv[i++]!, names.topLevel);
  out.push(command);
  if ((command === 'sign' || command === 'verify') && i < argv.length) {
    const methods = names.methods[command];
    const next = argv[i]!;
    const method = normalizeWord(next, methods);
    if (methods.has(method) || next === '-h' || next === '--help' || next === 'help') {
      out.push(method);
      i++;
    } else if (methods.has('sigstore')) {
      out.push('sigstore');
    }
  }
  for (; i < argv.length; i++) push(argv[i]!);
  return out;
}
