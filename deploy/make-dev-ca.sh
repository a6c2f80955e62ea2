#!/bin/sh
# Make a development certificate authority, a broker certificate and one
# client certificate per device id, for deploy/mosquitto/footfall.conf.
#
#   deploy/make-dev-ca.sh OUT_DIR BROKER_HOST DEVICE_ID [DEVICE_ID ...]
#
# Writes OUT_DIR/ca.crt, ca.key, broker.crt, broker.key and <id>.crt, <id>.key
# for each id (the id becomes the certificate's CN, which the broker uses as
# the MQTT user name). Keys are EC P-256 and unencrypted: for development and
# tests only. In production keep the CA key offline and give each device key
# a passphrase (FOOTFALL_TLS_KEY_PASSPHRASE) or a TPM.
set -eu

if [ "$#" -lt 3 ]; then
    echo "usage: $0 OUT_DIR BROKER_HOST DEVICE_ID [DEVICE_ID ...]" >&2
    exit 2
fi
out=$1
broker_host=$2
shift 2
days=825

mkdir -p "$out"
umask 077

key() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

key "$out/ca.key"
openssl req -x509 -new -key "$out/ca.key" -sha256 -days "$days" \
    -subj "/CN=footfall development CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$out/ca.crt"

# sign NAME CN EXTENSIONS
sign() {
    key "$out/$1.key"
    openssl req -new -key "$out/$1.key" -subj "/CN=$2" -out "$out/$1.csr"
    printf '%s\n' "$3" > "$out/$1.ext"
    openssl x509 -req -in "$out/$1.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
        -sha256 -days "$days" -extfile "$out/$1.ext" -out "$out/$1.crt" 2>/dev/null
    rm -f "$out/$1.csr" "$out/$1.ext"
}

case "$broker_host" in
    *[!0-9.]*) san="DNS:$broker_host,DNS:localhost,IP:127.0.0.1" ;;
    *) san="IP:$broker_host,DNS:localhost,IP:127.0.0.1" ;;
esac
sign broker "$broker_host" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$san"

for device in "$@"; do
    case "$device" in
        */* | *+* | *#* | "") echo "$0: bad device id '$device'" >&2; exit 2 ;;
    esac
    sign "$device" "$device" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
done
rm -f "$out/ca.srl"
chmod 644 "$out"/*.crt
echo "$out: ca.crt, broker.crt/.key for $broker_host, and a certificate for: $*"
