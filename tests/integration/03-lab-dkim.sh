#!/bin/bash
# NAME
#	03-lab-dkim.sh - the lab's DKIM keys, signer and delivery path agree with Mail::DKIM
# DESCRIPTION
#	tests/lab/dkim_sign.py (openssl for the key operation) signs with the
#	committed lab test keys; Mail::DKIM (an independent implementation)
#	verifies against the keys the lab's unbound publishes. A tampered body
#	must fail. A signed message sent through Postfix and Dovecot still
#	verifies when read back over IMAP: the lab's own path (no milter)
#	breaks no signature, so a later failure is the milter's doing.
#	Ed25519: Debian 12's Mail::DKIM cannot verify it; the signer's Ed25519
#	output was cross-checked once with dkimpy 1.1.4 (see docs/lab.md).
set -u
. "$(dirname "$0")/../lab/lib.sh"
lab_require "prerequisites" perl openssl || lab_finish
lab_up
keys=$LAB_LIB_DIR/keys
tmp=$(mktemp -d)
token=dkim-$RANDOM

printf 'From: Boss <ceo@reject.example>\nTo: alice@lab.example\nSubject: signed  %s\nDate: %s\nMessage-ID: <%s@reject.example>\n\nHello  there \n\n\n' \
	"$token" "$(date -R)" "$token" >"$tmp/plain.eml"
sign() { "$LAB_PY" "$LAB_LIB_DIR/dkim_sign.py" "$@"; }
verify() { lab_exec perl "$LAB_LIB_DIR/dkim_verify.pl"; }

sign --key "$keys/lab-test-dkim-rsa2048.key" --domain reject.example --selector rsa2048 "$tmp/plain.eml" >"$tmp/rsa.eml"
out=$(verify <"$tmp/rsa.eml")
[[ $out == 'reject.example rsa2048 rsa-sha256 pass' ]] && ok "dkim_sign.py rsa-sha256 verifies with Mail::DKIM via lab DNS" ||
	fail "dkim_sign.py rsa-sha256 verifies with Mail::DKIM via lab DNS" "$out"

sed 's/Hello  there/Hello  t h e r e/' "$tmp/rsa.eml" >"$tmp/tampered.eml"
out=$(verify <"$tmp/tampered.eml")
[[ $out == *'fail (body has been altered)'* ]] && ok "tampered body fails (body hash)" ||
	fail "tampered body fails (body hash)" "$out"

sign --key "$keys/lab-test-dkim-rsa2048.key" --domain quarantine.example --selector rsa2048 "$tmp/plain.eml" >"$tmp/other.eml"
out=$(verify <"$tmp/other.eml")
[[ $out == 'quarantine.example rsa2048 rsa-sha256 pass' ]] && ok "same keys published for quarantine.example" ||
	fail "same keys published for quarantine.example" "$out"

sign --key "$keys/lab-test-dkim-ed25519.key" --domain reject.example --selector ed25519 "$tmp/rsa.eml" >"$tmp/both.eml"
out=$(verify <"$tmp/both.eml")
[[ $out == *'reject.example ed25519 ed25519-sha256 '*'reject.example rsa2048 rsa-sha256 pass'* ]] &&
	ok "two signatures (Ed25519 added above RSA); RSA still passes" ||
	fail "two signatures (Ed25519 added above RSA); RSA still passes" "$out"

out=$(lab_mail send --bind "$LAB_OUT_GOOD" --from ceo@reject.example --to "$LAB_ALICE" --file "$tmp/both.eml" 2>&1)
if [[ $out == 250* ]]; then
	lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" --search "SUBJECT $token" \
		--count 1 --wait 10 2>/dev/null | sed '1d' >"$tmp/delivered.eml"
	out=$(verify <"$tmp/delivered.eml")
	[[ $out == *'reject.example rsa2048 rsa-sha256 pass'* ]] &&
		ok "signature survives Postfix + LMTP + IMAP unchanged" ||
		fail "signature survives Postfix + LMTP + IMAP unchanged" "$out"
else
	fail "signature survives Postfix + LMTP + IMAP unchanged" "send: $out"
fi
rm -rf "$tmp"
lab_finish
