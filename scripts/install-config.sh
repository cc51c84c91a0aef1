#!/bin/sh
# Run by `meson install` (meson.add_install_script): copies the example configuration
# (DATADIR/examples/etc, a mirror of /etc) into SYSCONFDIR file by file, only where the admin has
# no file yet: an upgrade never overwrites an edited /etc/soc/correlator.yaml. The installed
# paths replace the defaults the examples are written with (/usr/share/soc, /etc/soc), so a
# --prefix=/usr/local install points at its own data.
#
# Usage: install-config.sh SYSCONFDIR DATADIR   (absolute, without DESTDIR; meson sets DESTDIR)
set -eu

sysconfdir=$1
datadir=$2
src="${DESTDIR:-}$datadir/examples/etc"
dst="${DESTDIR:-}$sysconfdir"

if [ "${MESON_INSTALL_DRY_RUN:-}" = 1 ]; then
  echo "would copy the example configuration from $src to $dst (missing files only)"
  exit 0
fi
[ -d "$src" ] || { echo "install-config: $src is missing" >&2; exit 1; }

cd "$src"
find . -type f | sort | while IFS= read -r f; do
  rel=${f#./}
  target="$dst/$rel"
  if [ -e "$target" ] || [ -L "$target" ]; then
    echo "Keeping $target (exists; the example is $src/$rel)"
    continue
  fi
  mkdir -p "$(dirname "$target")"
  sed -e "s|/usr/share/soc|$datadir|g" -e "s|/etc/soc|$sysconfdir/soc|g" "$f" >"$target.new"
  chmod 0644 "$target.new"
  mv "$target.new" "$target"
  echo "Installing $target"
done
