import { printParseErrorCode, visit } from 'jsonc-parser';

/**
 * Untrusted JSON text (a signature file, a signed statement) that does not parse. The message says where, never
 * what: V8's own message quotes the text it stopped at, which may be the first bytes of a secret file.
 */
export class JsonTextError extends Error {
  /** The offset (in UTF-16 code units) of the first error, when it was found. */
  readonly offset: number | undefined;

  /**
   * @param message where the text stops being JSON, with no part of the text.
   * @param offset the offset of the first error.
   */
  constructor(message: string, offset?: number) {
    super(message);
    this.name = 'JsonTextError';
    this.offset = offset;
  }
}

// `ValueExpected` → `value expected`.
const words = (code: string): string => code.replace(/(?<!^)([A-Z])/g, ' $1').toLowerCase();

/**
 * Where `text` stops being JSON: found by a second parser (only after JSON.parse has refused the text), since
 * V8's messages give a position only for some errors.
 */
function locate(text: string): JsonTextError {
  let found: JsonTextError | undefined;
  visit(
    text,
    {
      onError(code, offset, _length, line, character) {
        found ??= new JsonTextError(
          `${words(printParseErrorCode(code))} at line ${line + 1}, column ${character + 1} (offset ${offset})`,
          offset,
        );
      },
    },
    { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
  );
  return found ?? new JsonTextError('a syntax error the position of which is unknown');
}

/**
 * JSON.parse for untrusted text: the same values, but failures are {@link JsonTextError}s whose message gives
 * the position of the error only. A leading byte order mark is refused: JSON allows none and neither tool writes one
 * (decode with `ignoreBOM: true` so that it reaches this check).
 */
export function parseJsonText(text: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) {
    throw new JsonTextError('it starts with a byte order mark (U+FEFF), which JSON does not allow', 0);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw locate(text);
  }
}
