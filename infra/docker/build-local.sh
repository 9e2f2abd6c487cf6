#!/usr/bin/env bash
# Build an mcat image with buildah where no base image can be pulled (no registry, no Docker engine):
#   infra/docker/build-local.sh [cpu|cuda] [TAG]        (as root; default: cpu, localhost/mcat:<git sha>-cpu)
#
# 1. The base, once per machine: a Debian bookworm root filesystem from debootstrap (Debian's packages only) with
#    Python 3.11, pip and python -> python3, committed as localhost/mcat-base:bookworm. It stands in for the
#    Dockerfile's python:3.11-slim-bookworm (same Debian release, same Python minor version).
# 2. The real infra/docker/Dockerfile.<kind> on that base (`buildah build --from`), with buildah's layer cache:
#    a change under src/ rebuilds only the last layers. The host's CA certificates are mounted for the build's
#    downloads (an intercepting proxy's CA, where there is one), never copied into the image.
#
# Environment: TORCH_INDEX (cpu only) where torch comes from, default the Dockerfile's (the PyTorch CPU index);
# set TORCH_INDEX=https://pypi.org/simple where that index is out of reach (PyPI's wheel is the CUDA build:
# a larger image that runs the same on CPUs). DEBIAN_MIRROR: the debootstrap mirror.
set -euo pipefail
cd "$(dirname "$0")/../.."
kind=${1:-cpu}
tag=${2:-localhost/mcat:$(git rev-parse --short=12 HEAD)-$kind}
base=localhost/mcat-base:bookworm
[ -f "infra/docker/Dockerfile.$kind" ] || { echo "build-local.sh: no infra/docker/Dockerfile.$kind: give cpu or cuda" >&2; exit 2; }
for tool in buildah debootstrap; do
  command -v "$tool" >/dev/null || { echo "build-local.sh: $tool is missing: apt-get install buildah debootstrap" >&2; exit 2; }
done

if ! buildah inspect --type image "$base" >/dev/null 2>&1; then
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase --include=python3,python3-pip,python-is-python3,ca-certificates \
    bookworm "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >/dev/null
  rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED  # the image's Python is the container's own, as in python:slim
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
  ctr=$(buildah from scratch)
  cp -a "$root"/. "$(buildah mount "$ctr")"/
  buildah umount "$ctr" >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd python3 "$ctr"
  buildah commit --quiet --rm "$ctr" "$base" >/dev/null
  echo "built the base $base from debootstrap"
fi

args=()
[ "$kind" = cpu ] && [ -n "${TORCH_INDEX:-}" ] && args+=(--build-arg "TORCH_INDEX=$TORCH_INDEX")
buildah build --quiet --from "$base" --isolation chroot --network host --layers \
  --volume /etc/ssl/certs:/etc/ssl/certs:ro "${args[@]}" -f "infra/docker/Dockerfile.$kind" -t "$tag" . >/dev/null
echo "built $tag"
