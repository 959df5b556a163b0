#!/usr/bin/env bash
# Builds the Debian package aicc-chat_<version>_<arch>.deb from a built tree, compiling nothing:
# the Release binary and the bundled web pages of BUILD_DIR (cmake --build BUILD_DIR --target
# aicc-chat web), the unit, configuration and maintainer scripts of this folder, and the runtime
# dependencies dpkg-shlibdeps reads from the binary. The version is CMake's project(VERSION).
#
#   packaging/debian/build-deb.sh [BUILD_DIR [OUT_DIR]]     (defaults: build, BUILD_DIR)
#
# The package is written to OUT_DIR and its path printed last. Every file in it belongs to root
# (dpkg-deb --root-owner-group), whoever builds it. AICC_DEB_MAINTAINER overrides the Maintainer.
set -euo pipefail
umask 022

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() {
  echo "build-deb: $*" >&2
  exit 1
}

build=${1:-$repo/build}
[[ -d "$build" ]] || die "no build folder $build (make configure, then cmake --build $build --target aicc-chat web)"
build=$(cd "$build" && pwd)
out=${2:-$build}
mkdir -p "$out"
out=$(cd "$out" && pwd)

for tool in dpkg-deb dpkg-shlibdeps strip md5sum; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh installs dpkg-dev and binutils)"
done

cache=$build/CMakeCache.txt
[[ -f "$cache" ]] || die "$build is not a configured build folder (no CMakeCache.txt)"
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$cache" | head -n 1; }
version=$(cache_value CMAKE_PROJECT_VERSION)
build_type=$(cache_value CMAKE_BUILD_TYPE)
[[ -n "$version" ]] || die "$cache names no project version"
[[ "$build_type" == Release ]] ||
  die "$build is a ${build_type:-default} build; the package takes a Release one (cmake -DCMAKE_BUILD_TYPE=Release)"

binary=$build/aicc-chat
web=$build/web
[[ -x "$binary" ]] || die "$binary is missing: cmake --build $build --target aicc-chat"
[[ -f "$web/index.html" ]] || die "$web has no index.html: cmake --build $build --target web"
# The binary states its version in its source; the package's comes from CMake: they must agree.
binary_version=$("$binary" --version | awk '{print $2}')
[[ "$binary_version" == "$version" ]] ||
  die "$binary says it is version $binary_version, CMake's project(VERSION) is $version: make them agree"

arch=$(dpkg --print-architecture)
maintainer=${AICC_DEB_MAINTAINER:-aicc-chat maintainers <maintainers@aicc-chat.invalid>}

work=$(mktemp -d "${TMPDIR:-/tmp}/aicc-chat-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root

# The files, in the modes they are installed with.
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/aicc-chat" \
  "$root/usr/share/doc/aicc-chat" "$root/etc/aicc-chat" "$root/lib/systemd/system"
install -m 0755 "$binary" "$root/usr/bin/aicc-chat"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/aicc-chat"
cp -R "$web" "$root/usr/share/aicc-chat/web"
find "$root/usr/share/aicc-chat/web" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
install -m 0644 "$here/aicc-chat.yaml" "$root/etc/aicc-chat/aicc-chat.yaml"
install -m 0644 "$here/aicc-chat.service" "$root/lib/systemd/system/aicc-chat.service"
install -m 0644 "$repo/config/aicc-chat.yaml" "$root/usr/share/doc/aicc-chat/aicc-chat.yaml.example"
install -m 0644 "$here/copyright" "$root/usr/share/doc/aicc-chat/copyright"
# A native package's changelog: one entry for this version, dated by the last commit when there is
# one, so that building the same commit twice gives the same file.
stamp=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}
printf 'aicc-chat (%s) unstable; urgency=medium\n\n  * aicc-chat %s.\n\n -- %s  %s\n' \
  "$version" "$version" "$maintainer" "$(LC_ALL=C date -u -R -d "@$stamp")" |
  gzip -9n >"$root/usr/share/doc/aicc-chat/changelog.gz"
chmod 0644 "$root/usr/share/doc/aicc-chat/changelog.gz"
# The manual page is the binary's own --help, so it never disagrees with it, and the package's files.
install -d "$root/usr/share/man/man1"
{
  printf '.TH AICC-CHAT 1 "%s" "aicc-chat %s" "User Commands"\n' "$(date -u -d "@$stamp" +%F)" "$version"
  printf '.SH NAME\naicc-chat \\- chat server for AI contact centers\n.SH DESCRIPTION\n.nf\n'
  "$binary" --help | sed -e 's/\\/\\e/g' -e "s/^[.']/\\\\\&&/"
  printf '.fi\n.SH FILES\n'
  printf '.TP\n%s\n%s\n' \
    /etc/aicc-chat/aicc-chat.yaml "the service's configuration (every key: aicc-chat \\-\\-help-config)" \
    /etc/aicc-chat/aicc-chat.env "its secrets, as environment variables (AICC_JWT_SECRET, ...)" \
    /var/lib/aicc-chat "its data: the SQLite database and the attachments" \
    /usr/share/doc/aicc-chat/aicc-chat.yaml.example "every setting with its default"
  printf '.SH SEE ALSO\n.BR systemctl (1),\n.BR journalctl (1)\n'
} | gzip -9n >"$root/usr/share/man/man1/aicc-chat.1.gz"
chmod 0644 "$root/usr/share/man/man1/aicc-chat.1.gz"

# The control area: maintainer scripts, conffiles, checksums and the control file.
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$root/DEBIAN/"
install -m 0644 "$here/conffiles" "$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
  xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"

# dpkg-shlibdeps maps each shared library the binary links to the package that ships it, with the
# least version that has every symbol used. It wants a debian/control beside it.
mkdir -p "$work/debian"
printf 'Source: aicc-chat\n\nPackage: aicc-chat\nArchitecture: any\n' >"$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O -e"root/usr/bin/aicc-chat" 2>"$work/shlibdeps.log") ||
  die "dpkg-shlibdeps failed: $(cat "$work/shlibdeps.log")"
shlibs=${shlibs#shlibs:Depends=}
[[ -n "$shlibs" ]] || die "dpkg-shlibdeps found no dependencies"

installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
  -e "s|@INSTALLED_SIZE@|$installed_size|" -e "s|@SHLIBS_DEPENDS@|$shlibs|" \
  "$here/control" >"$root/DEBIAN/control"

deb=$out/aicc-chat_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$work/package.deb" >/dev/null
mv "$work/package.deb" "$deb"
echo "$deb"
