#!/bin/sh
# Write the credentials from the environment, make sure the generated files
# exist (the shared volume starts empty), then run Asterisk in the foreground.
set -eu

: "${ARI_PASSWORD:?set ARI_PASSWORD (see docker/.env.example)}"
ARI_USERNAME=${ARI_USERNAME:-continuity}

cat > /etc/asterisk/ari.conf <<CONF
[general]
enabled = yes

[${ARI_USERNAME}]
type = user
read_only = no
password = ${ARI_PASSWORD}
password_format = plain
CONF

if [ -n "${AMI_SECRET:-}" ]; then
    cat > /etc/asterisk/manager.conf <<CONF
[general]
enabled = yes
bindaddr = 0.0.0.0
port = 5038

[${AMI_USERNAME:-continuity}]
secret = ${AMI_SECRET}
read = system,call
write = system,command,reporting,originate
CONF
fi

for generated in extensions_continuity.conf pjsip_continuity.conf voicemail_continuity.conf; do
    [ -e "/etc/asterisk/continuity/$generated" ] || : > "/etc/asterisk/continuity/$generated"
done
chown asterisk:asterisk /etc/asterisk/ari.conf /etc/asterisk/manager.conf
chmod 0640 /etc/asterisk/ari.conf /etc/asterisk/manager.conf
# The app (uid APP_UID, see docker/app/Dockerfile) writes the generated files;
# Asterisk reads them through the group.
chown -R "${APP_UID:-10001}:asterisk" /etc/asterisk/continuity
chmod 2775 /etc/asterisk/continuity

exec asterisk -f -U asterisk -G asterisk "$@"
