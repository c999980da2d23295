# NAME
#	demo/milter-auth.bash - shared by the spf, dkim, dmarc and headers layers
# DESCRIPTION
#	demo_milter_auth_setup (call from a layer's setup(); once per demo run
#	whatever the number of layers calling it) runs messec-milter-auth on the
#	lab's Postfix, port 25 and 587, started before Postfix takes mail (Postfix
#	answers 451 while a configured milter is absent). It also signs mail
#	submitted on 587 from lab.example (DKIM, the lab's RSA test key).
#	demo_milter_auth_check (call at the top of run()) shows the config and
#	checks the milter is up. demo_milter_auth_logline ERE prints the newest
#	matching line of its log, without the syslog prefix.
#	demo_milter_auth_delivered, after demo_send, checks and shows that the
#	mail was accepted and what our Authentication-Results say of it.

demo_milter_auth_setup() {
	MA_BIN=$DEMO_B/milter-auth/messec-milter-auth
	[ -x "$MA_BIN" ] || { echo "demo: build milter-auth first (make)" >&2; return 1; }
	[ -n "${DEMO_MA_SET:-}" ] && return 0
	DEMO_MA_SET=1
	demo_add_milter 'unix:@LABDIR@/auth.sock'
	demo_add_submission_milter 'unix:@LABDIR@/auth.sock'
	cat >"$DEMO_TMP/milter-auth-start.sh" <<START
conf=\$LAB_DIR/milter-auth.conf
# Outbound signing (the dkim layer's scenario 3): the lab's RSA test key
# for lab.example (published by the lab's DNS), owned by the milter's
# user, mode 0600 (it re-reads it on SIGHUP after dropping privileges).
install -d -m 755 "\$LAB_DIR/dkim-keys"
install -m 600 -o nobody "$PWD/tests/lab/keys/lab-test-dkim-rsa2048.key" "\$LAB_DIR/dkim-keys/rsa.key"
cat >"\$conf" <<CONF
socket = unix:\$LAB_DIR/auth.sock
socket_mode = 0666
user = nobody
pid_file =
authserv_id = mx.lab.example
internal_networks = 127.0.0.1
dkim_sign_keys = lab.example:rsa2048:\$LAB_DIR/dkim-keys/rsa.key
dkim_sign_domains = lab.example
CONF
chmod 644 "\$conf"
"$PWD/tests/lab/spawn" "\$LAB_DIR" milter-auth -- "$MA_BIN" -f -c "\$conf"
for i in \$(seq 50); do [ -S "\$LAB_DIR/auth.sock" ] && exit 0; sleep 0.2; done
echo "milter-auth did not start" >&2; exit 1
START
	demo_add_pre_postfix "bash $DEMO_TMP/milter-auth-start.sh"
}

demo_milter_auth_check() {
	MA_BIN=$DEMO_B/milter-auth/messec-milter-auth
	lab_wait_socket "$LAB_DIR/auth.sock" 10 || {
		demo_bad "the milter did not start" "le milter n’a pas démarré"
		return 1
	}
	[ -n "${DEMO_MA_SHOWN:-}" ] && return 0
	DEMO_MA_SHOWN=1
	demo_say "messec-milter-auth runs on port 25 and 587 (pid $(cat "$LAB_DIR/pids/milter-auth.pid")); its configuration:" \
		"messec-milter-auth tourne sur les ports 25 et 587 (pid $(cat "$LAB_DIR/pids/milter-auth.pid")) ; sa configuration :"
	demo_cmd "messec-milter-auth -t -c milter-auth.conf" \
		sh -c "'$MA_BIN' -t -c '$LAB_DIR/milter-auth.conf' | grep -E '^(socket|authserv_id|dmarc_reject_action|temperror_action|internal_error_action|dkim_sign_keys) '"
}

# demo_milter_auth_delivered TOKEN TRANSCRIPT WANT EN FR: after demo_send:
# the answer was 250; the "headers" part (the delivered copy's A-R) holds
# WANT (else demo_bad EN FR); the milter's log line for its queue id.
# Returns 1 when the mail was not accepted or WANT is missing.
demo_milter_auth_delivered() {
	local ar
	[[ $DEMO_ANSWER == 250* ]] || { demo_bad "not accepted" "non accepté"; return 1; }
	demo_part headers
	ar=$(demo_ar "$1")
	printf '%s\n' "$ar" | demo_show
	[[ $ar == *"$3"* ]] || { demo_bad "$4" "$5"; return 1; }
	demo_milter_auth_logline "$(demo_swaks_qid "$2"): "
}

# demo_milter_auth_logline ERE: the newest milter log line matching ERE.
demo_milter_auth_logline() {
	demo_part log
	grep -E -- "$1" "$LAB_DIR/milter-auth.log" | tail -n 1 | sed 's/^.*messec-milter-auth[^:]*: //' | demo_show
}
