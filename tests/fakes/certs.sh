#!/bin/sh
# Throw-away TLS material for the HTTPS tests, written into DIR (which must exist):
#   ca.crt                     the test CA the client trusts
#   server.crt server.key      127.0.0.1 / localhost, signed by ca.crt
#   other-ca.crt               a second CA, unknown to the client
#   other.crt other.key        127.0.0.1 / localhost, signed by other-ca.crt
#   wrongname.crt wrongname.key  signed by ca.crt, SAN DNS:wrong.example only
#   expired.crt expired.key    signed by ca.crt, valid in 2020 only
#   selfsigned.crt selfsigned.key  127.0.0.1 / localhost, self-signed
#   pin.txt other-pin.txt selfsigned-pin.txt wrongname-pin.txt
#                              "sha256//BASE64" of the public keys
# Prints nothing on success.
set -eu

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
    echo "usage: certs.sh DIR" >&2
    exit 64
fi
dir=$1
cd "$dir"
umask 077

newkey() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

newca() { # NAME CN
    newkey "$1.key"
    openssl req -x509 -new -key "$1.key" -days 2 -subj "/CN=$2" -out "$1.crt" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}

pin() { # KEY OUT
    openssl pkey -in "$1" -pubout |
        openssl pkey -pubin -outform der |
        openssl dgst -sha256 -binary |
        openssl base64 -A |
        sed 's|^|sha256//|' >"$2"
}

printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >good.ext
printf 'subjectAltName=DNS:wrong.example\nextendedKeyUsage=serverAuth\n' >wrong.ext

leaf() { # NAME CA EXTFILE
    newkey "$1.key"
    openssl req -new -key "$1.key" -subj "/CN=$1" -out "$1.csr"
    openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -days 2 \
        -extfile "$3" -out "$1.crt" 2>/dev/null
}

newca ca "jiku test CA"
newca other-ca "jiku other CA"
leaf server ca good.ext
leaf other other-ca good.ext
leaf wrongname ca wrong.ext

# An expired certificate: OpenSSL 3.0's x509 cannot set dates in the past, `openssl ca` can.
mkdir -p expired-ca
: >expired-ca/index.txt
cat >expired-ca/ca.cnf <<EOF
[ca]
default_ca = expired
[expired]
database = expired-ca/index.txt
new_certs_dir = expired-ca
serial = expired-ca/serial
default_md = sha256
policy = anything
copy_extensions = none
unique_subject = no
[anything]
commonName = supplied
[ext]
subjectAltName = DNS:localhost,IP:127.0.0.1
extendedKeyUsage = serverAuth
EOF
echo 01 >expired-ca/serial
newkey expired.key
openssl req -new -key expired.key -subj "/CN=expired" -out expired.csr
openssl ca -batch -config expired-ca/ca.cnf -cert ca.crt -keyfile ca.key -in expired.csr \
    -startdate 20200101000000Z -enddate 20200102000000Z -extensions ext -notext \
    -out expired.crt 2>/dev/null

newkey selfsigned.key
openssl req -x509 -new -key selfsigned.key -days 2 -subj "/CN=localhost" -out selfsigned.crt \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -addext extendedKeyUsage=serverAuth

pin server.key pin.txt
pin other.key other-pin.txt
pin selfsigned.key selfsigned-pin.txt
pin wrongname.key wrongname-pin.txt

rm -rf expired-ca ./*.csr ./*.srl good.ext wrong.ext
