#!/usr/bin/env bash
# Builds test/blake3-tree-check.c with src/blake3_tree.c against the official BLAKE3 C sources (BLAKE3_C_DIR, or
# Debian's librust-blake3-dev as scripts/blake3-dir.mjs finds it), runs its comparisons with the library's own
# hasher, then compares its --bench digests with b3sum's on generated files. Exit status 0 only when all agree.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
package="$(dirname "$here")"

c_dir="${BLAKE3_C_DIR:-}"
if [[ -z "$c_dir" ]]; then
  # Newest blake3-X.Y.Z in the Cargo registry that ships the C sources.
  for dir in $(ls -d /usr/share/cargo/registry/blake3-*/c 2>/dev/null | sort -V -r); do
    if [[ -f "$dir/blake3.c" && -f "$dir/blake3_impl.h" ]]; then c_dir="$dir"; break; fi
  done
fi
if [[ -z "$c_dir" || ! -f "$c_dir/blake3_impl.h" ]]; then
  echo "blake3-tree-check: no BLAKE3 C sources (install librust-blake3-dev or set BLAKE3_C_DIR)" >&2
  exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/blake3-tree-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Our file with -Werror, so that a warning fails the check; the library's files as they are.
gcc -std=c11 -O3 -Wall -Wextra -Werror -pthread -I"$c_dir" -c "$package/src/blake3_tree.c" -o "$work/blake3_tree.o"
gcc -std=gnu11 -O3 -Wall -Wextra -Werror -pthread -c "$package/src/mapped_window.c" -o "$work/mapped_window.o"
gcc -std=c11 -O3 -Wall -Wextra -Werror -c "$package/src/read_full.c" -o "$work/read_full.o"
gcc -O3 -Wall -Wextra -Werror -pthread -I"$c_dir" \
  "$here/blake3-tree-check.c" "$work/blake3_tree.o" "$work/mapped_window.o" "$work/read_full.o" \
  "$c_dir/blake3.c" "$c_dir/blake3_dispatch.c" "$c_dir/blake3_portable.c" \
  "$c_dir"/blake3_{sse2,sse41,avx2,avx512}_x86-64_unix.S \
  -o "$work/blake3-tree-check"

status=0
"$work/blake3-tree-check" || status=1

if ! command -v b3sum >/dev/null; then
  echo "blake3-tree-check: b3sum not found, --bench not compared" >&2
  exit 1
fi
head -c 300000000 /dev/urandom >"$work/300MB"
printf 'x' >"$work/1B"
: >"$work/empty"
for file in 300MB 1B empty; do
  expected="$(b3sum --no-names "$work/$file")"
  for threads in 1 2; do
    output="$("$work/blake3-tree-check" --bench "$work/$file" "$threads")"
    actual="$(head -n 1 <<<"$output" | cut -d ' ' -f 1)"
    if [[ "$actual" == "$expected" ]]; then
      echo "bench $file, $threads thread(s): matches b3sum ($(tail -n 1 <<<"$output"))"
    else
      echo "FAIL bench $file, $threads thread(s): b3sum $expected, ours $actual"
      status=1
    fi
  done
done

if [[ $status -eq 0 ]]; then echo "blake3-tree-check: all OK"; else echo "blake3-tree-check: FAILED"; fi
exit $status
