#!/bin/sh
# Install Asterisk into a Debian sid system.
#
# The one provisioning script for both the container image
# (docker/asterisk/Dockerfile) and the chroot rootfs the local test stack
# builds (localstack/rootfs.py). Runs as root inside the target system.
# Changing this file makes the local stack rebuild its cached rootfs.
set -eu

export DEBIAN_FRONTEND=noninteractive

# Never start services while installing: this is an image, not a host.
cat > /usr/sbin/policy-rc.d <<'POLICY'
#!/bin/sh
exit 101
POLICY
chmod 0755 /usr/sbin/policy-rc.d

# A mirror snapshot older than its Valid-Until (or a machine clock ahead of
# it) makes a plain update fail; the packages are still signed, so retry
# without the freshness check rather than give up.
if ! apt-get update; then
    echo "provision: apt-get update failed, retrying without the Valid-Until check" >&2
    apt-get -o Acquire::Check-Valid-Until=false update
fi
apt-get install -y --no-install-recommends \
    asterisk \
    asterisk-core-sounds-en-gsm
apt-get clean
rm -rf /var/lib/apt/lists/*

# The instances of the local stack and the container run their own
# configuration; the package's sample files stay as documentation.
asterisk -V
