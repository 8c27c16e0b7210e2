#!/usr/bin/env bash
# Installs Uqlib from this clone: packs every package under src/ into a folder feed and adds that folder as a NuGet
# source, so that `dotnet add package Uqlib --prerelease` (and `#:package Uqlib@*-*` in a script) works, as it will
# from nuget.org once the packages are published there. Each run packs a new version, 0.1.0-dev.<UTC time>.<pid>, so the
# NuGet cache can never hand back an older build; the newest pack wins.
#
# Usage: ./local-feed.sh [FEED_DIR] [--configfile NUGET_CONFIG]
#   FEED_DIR      folder for the .nupkg files (default: ~/.uqlib/feed; created if missing)
#   --configfile  the NuGet.Config that gets the source "uqlib-local" (default: your user-wide NuGet.Config)
# Prints the version packed. Exit status 0 when every package was packed and the source is registered.
set -euo pipefail
repo="$(cd "$(dirname "$0")" && pwd)"
feed="${HOME}/.uqlib/feed"
config=()
while [ $# -gt 0 ]; do
  case "$1" in
    --configfile) config=(--configfile "$2"); shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) feed="$1"; shift ;;
  esac
done
mkdir -p "$feed"
feed="$(cd "$feed" && pwd)"
artifacts="$(mktemp -d "${TMPDIR:-/tmp}/uqlib-pack.XXXXXX")"
trap 'rm -rf "$artifacts"' EXIT

echo "packing every Uqlib package into $feed (a few minutes)..." >&2
version="$("$repo/.ci/pack-feed" "$feed" "$artifacts" dev --with-tool)"

sources="$(dotnet nuget list source "${config[@]}" --format Detailed)"
if grep -q " uqlib-local \[" <<<"$sources"; then
  dotnet nuget update source uqlib-local --source "$feed" "${config[@]}" >/dev/null
else
  dotnet nuget add source "$feed" --name uqlib-local "${config[@]}" >/dev/null
fi

cat >&2 <<MESSAGE
Uqlib $version is in the NuGet source "uqlib-local" ($feed).
In your project:   dotnet add package Uqlib --prerelease
                   dotnet add package TorchSharp-cpu --version 0.107.0
In a script (.cs): #:package Uqlib@$version
MESSAGE
echo "$version"
