#!/usr/bin/env bash
# Repository hygiene, run by `just test`: no tracked file over 10 MB (the vendored benchmark data
# under benchmarks/data/ excepted by name) and no tracked executable binary (ELF, Mach-O, PE).
set -euo pipefail
cd "$(dirname "$0")/.."
limit=$((10 * 1024 * 1024))
bad=0
n=0
while read -r size f; do
  n=$((n + 1))
  if [ "$size" -gt "$limit" ] && [[ "$f" != benchmarks/data/* ]]; then
    echo "check-repo: $f is $size bytes (> 10 MB); large data belongs under benchmarks/data/, compressed" >&2
    bad=1
  fi
  kind=""
  case "$(od -An -N4 -tx1 "$f" | tr -d ' \n')" in
    7f454c46) kind=ELF ;;
    cffaedfe | cefaedfe | feedface | feedfacf) kind=Mach-O ;;
    4d5a*) # "MZ": a PE file has "PE\0\0" at the offset stored in bytes 60-63
      off=$(od -An -j60 -N4 -tu4 "$f" | tr -d ' ')
      if [ -n "$off" ] && [ "$off" -lt "$size" ] && [ "$(od -An -j"$off" -N4 -tx1 "$f" | tr -d ' \n')" = 50450000 ]; then
        kind=PE
      fi ;;
  esac
  if [ -n "$kind" ]; then
    echo "check-repo: $f is an $kind executable; build outputs do not belong in git" >&2
    bad=1
  fi
done < <(git ls-files -z | xargs -0 -r stat -c '%s %n' 2>/dev/null)
[ "$bad" = 0 ] && echo "check-repo: $n tracked files, none over 10 MB outside benchmarks/data/, no executables"
exit "$bad"
