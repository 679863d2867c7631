# Sourced by scripts/suite and scripts/test: make .venv and install mailtests into it (editable),
# with the given extras. Reinstalls only when pyproject.toml changed since the last install.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
extras=${1:-}
stamp="$venv/.installed${extras:+-$extras}"
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
fi
if [[ ! -f $stamp || $root/pyproject.toml -nt $stamp ]]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root${extras:+[$extras]}"
  touch "$stamp"
fi
