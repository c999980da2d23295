# NAME
#	demo/layers/10-milter-auth.sh - sender authentication: SPF, DKIM, DMARC
# DESCRIPTION
#	Runs messec-milter-auth on the lab's Postfix (port 25 and 587). Shows:
#	a genuine DKIM-signed message from reject.example's own server gets
#	"spf=pass dkim=pass dmarc=pass" in one Authentication-Results header;
#	a forger on another network who puts "ceo@reject.example" in From: is
#	refused with 550 5.7.1 (p=reject); and a forged Authentication-Results
#	header that claims our server's verdict is deleted before delivery.

setup() {
	MA_BIN=$DEMO_B/milter-auth/messec-milter-auth
	[ -x "$MA_BIN" ] || { echo "10-milter-auth: build first (make)" >&2; return 1; }
	demo_add_milter 'unix:@LABDIR@/auth.sock'
	demo_add_submission_milter 'unix:@LABDIR@/auth.sock'
	# Start the milter before Postfix takes mail: every layer's mail goes
	# through it (Postfix answers 451 while a configured milter is absent).
	cat >"$DEMO_TMP/milter-auth-start.sh" <<START
conf=\$LAB_DIR/milter-auth.conf
cat >"\$conf" <<CONF
socket = unix:\$LAB_DIR/auth.sock
socket_mode = 0666
user = nobody
pid_file =
authserv_id = mx.lab.example
internal_networks = 127.0.0.1
CONF
chmod 644 "\$conf"
"$PWD/tests/lab/spawn" "\$LAB_DIR" milter-auth -- "$MA_BIN" -f -c "\$conf"
for i in \$(seq 50); do [ -S "\$LAB_DIR/auth.sock" ] && exit 0; sleep 0.2; done
echo "milter-auth did not start" >&2; exit 1
START
	demo_add_pre_postfix "bash $DEMO_TMP/milter-auth-start.sh"
}

# _ma_msg SUBJECT FROM [extra header]: an .eml in DEMO_TMP, path on stdout.
_ma_msg() {
	local f=$DEMO_TMP/$1.eml
	{
		printf 'From: %s\r\nTo: alice@lab.example\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@demo.example>\r\n' \
			"$2" "$1" "$(date -R)" "$1"
		[ -n "${3:-}" ] && printf '%s\r\n' "$3"
		printf '\r\nHello Alice,\r\nplease wire 10 000 EUR today.\r\n'
	} >"$f"
	echo "$f"
}

# _ma_ar TOKEN: alice's delivered copy, Authentication-Results headers only.
_ma_ar() {
	lab_mail imap-fetch --user alice --password "$LAB_ALICE_PASSWORD" \
		--search "SUBJECT $1" --count 1 --wait 15 2>/dev/null |
		awk '/^[^ \t]/{p=0} /^[Aa]uthentication-[Rr]esults:/{p=1} /^$/{exit} p'
}

run() {
	local conf=$LAB_DIR/milter-auth.conf tok msg out ar
	MA_BIN=$DEMO_B/milter-auth/messec-milter-auth
	demo_title "Layer 1: sender authentication (SPF, DKIM, DMARC) - messec-milter-auth"
	demo_cmd "messec-milter-auth -t -c milter-auth.conf   (check the config)" \
		sh -c "'$MA_BIN' -t -c '$conf' | grep -E '^(socket|authserv_id|dmarc_reject_action|temperror_action|internal_error_action) '"
	lab_wait_socket "$LAB_DIR/auth.sock" 10 || { demo_bad "the milter did not start"; return 1; }
	demo_say "It has been running since before Postfix took mail (pid $(cat "$LAB_DIR/pids/milter-auth.pid"))."

	tok=genuine-$RANDOM
	demo_say "1. reject.example's own server (192.0.2.10) sends a DKIM-signed message:"
	msg=$(_ma_msg "$tok" "CEO <ceo@reject.example>")
	"$LAB_PY" "$LAB_LIB_DIR/dkim_sign.py" --key "$LAB_LIB_DIR/keys/lab-test-dkim-rsa2048.key" \
		--domain reject.example --selector rsa2048 "$msg" >"$msg.signed"
	out=$(lab_mail send --bind "$LAB_OUT_GOOD" --from ceo@reject.example --to "$LAB_ALICE" --file "$msg.signed" 2>&1)
	printf '%s\n' "$out" | demo_show
	ar=$(_ma_ar "$tok")
	printf '%s\n' "$ar" | demo_show
	[[ $ar == *"spf=pass"*"dkim=pass"*"dmarc=pass"* ]] || { demo_bad "no passing A-R"; return 1; }
	demo_ok "delivered, with one Authentication-Results header: spf, dkim and dmarc pass."

	tok=spoof-$RANDOM
	demo_say "2. A forger on another network (198.51.100.10) writes From: ceo@reject.example:"
	demo_cmd "dig +short TXT _dmarc.reject.example" lab_dig +short TXT _dmarc.reject.example
	msg=$(_ma_msg "$tok" "CEO <ceo@reject.example>")
	out=$(lab_mail send --bind "$LAB_OUT_BAD" --from ceo@reject.example --to "$LAB_ALICE" --file "$msg" 2>&1)
	printf '%s\n' "$out" | demo_show
	[[ $out == *"550 5.7.1"* ]] || { demo_bad "the spoof was not refused"; return 1; }
	demo_ok "refused at SMTP time: DMARC fails and reject.example publishes p=reject."
	demo_say "The milter's verdict line:"
	grep -E "dmarc=fail action=reject" "$LAB_DIR/milter-auth.log" | tail -n 1 | sed 's/^.*messec-milter-auth[^:]*: //' | demo_show

	tok=forged-ar-$RANDOM
	demo_say "3. A forger adds a fake 'Authentication-Results: mx.lab.example; dmarc=pass' (p=none domain):"
	msg=$(_ma_msg "$tok" "news@none.example" "Authentication-Results: mx.lab.example; spf=pass; dkim=pass; dmarc=pass")
	out=$(lab_mail send --bind "$LAB_OUT_BAD" --from news@none.example --to "$LAB_ALICE" --file "$msg" 2>&1)
	printf '%s\n' "$out" | demo_show
	ar=$(_ma_ar "$tok")
	printf '%s\n' "$ar" | demo_show
	if [[ $ar == *"dmarc=fail"* ]] && [ "$(printf '%s\n' "$ar" | grep -ci '^authentication-results:')" = 1 ]; then
		demo_ok "the forged header is gone; alice's client sees only our verdict: dmarc=fail."
	else
		demo_bad "the forged header reached the mailbox"
		return 1
	fi
	return 0
}
