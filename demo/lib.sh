# NAME
#	demo/lib.sh - helpers for the trainers' demo (demo/run) and its layers
# DESCRIPTION
#	A layer is demo/layers/NN-name.sh; `make demo LAYER=name` runs it alone.
#	demo/run sources each layer twice: first to call its setup() (optional;
#	runs BEFORE the lab is up: add milters, policy, zones, Dovecot passdbs
#	with the demo_add_* helpers), then to call its run() (the lab is up:
#	LAB_* variables are set, the tests/lab/lib.sh helpers lab_mail,
#	lab_exec, lab_spawn, lab_wait_* work). run() returns non-zero when what
#	it shows did not happen; demo/run then reports the layer as failed and
#	carries on with the next one. A layer whose component is not written yet
#	sets DEMO_NOT_BUILT="what is missing" and defines no run().
#
#	Narration is bilingual: every narration helper takes the English text
#	and, optionally, the French one (DEMO_LANG=fr picks it; English is the
#	default and the fallback). Commands, protocol dialogue and logs are
#	shown as they are (the software speaks English).
#
#	A scenario prints, in this order (demo_part labels each part):
#	  send      what is about to be sent, and the exact command
#	  dialogue  the SMTP/IMAP dialogue (or its relevant part)
#	  answer    the server's answer
#	  headers   the headers that matter (Authentication-Results)
#	  log       the messec daemon's log line
#	  lesson    one line to remember (demo_lesson)
#	DEMO_STEP=1 makes demo_step (called by demo_scenario and demo_title)
#	wait for Enter, only when stdin is a terminal (CI never waits).
#	The build directory is $DEMO_B (absolute; from make's B).

_demo_tty=0
[ -t 1 ] && _demo_tty=1
_b() { if [ $_demo_tty = 1 ]; then printf '\033[1m%s\033[0m' "$*"; else printf '%s' "$*"; fi; }

# _t EN [FR]: the narration text in the chosen language. French typography
# is applied here, so layer authors type plain spaces: a no-break space
# (U+00A0) before ":" and inside « », a narrow no-break space (U+202F)
# before ";", "!" and "?".
_t() {
	local s nb=$'\xc2\xa0' nnb=$'\xe2\x80\xaf'
	if [ "${DEMO_LANG:-en}" = fr ] && [ $# -ge 2 ]; then
		s=$2
		s=${s// :/$nb:}
		s=${s// ;/$nnb;}
		s=${s// !/$nnb!}
		s=${s// \?/$nnb?}
		s=${s//« /«$nb}
		s=${s// »/$nb»}
		printf '%s' "$s"
	else
		printf '%s' "$1"
	fi
}

# demo_step: with DEMO_STEP=1 and a terminal on stdin, wait for Enter.
demo_step() {
	[ "${DEMO_STEP:-0}" = 1 ] || return 0
	[ -t 0 ] || return 0
	local _
	printf '  %s' "$(_t '[Enter] to continue ' '[Entrée] pour continuer ')"
	read -r _ || true
}

# demo_title EN [FR]: a layer's heading.
demo_title() {
	demo_step
	echo
	echo "$(_b "==== $(_t "$@")")"
}

# demo_scenario EN [FR]: a scenario's heading inside a layer.
demo_scenario() {
	demo_step
	echo
	echo "  $(_b "-- $(_t "$@")")"
}

# demo_part send|dialogue|answer|headers|log: label the next part.
demo_part() {
	local l
	case $1 in
	send) l=$(_t "What is sent, and the command:" "Ce qui est envoyé, et la commande :") ;;
	dialogue) l=$(_t "The dialogue:" "Le dialogue :") ;;
	answer) l=$(_t "The server's answer:" "La réponse du serveur :") ;;
	headers) l=$(_t "The headers that matter:" "Les en-têtes importants :") ;;
	log) l=$(_t "The daemon's log line:" "La ligne de journal du démon :") ;;
	*) l=$1 ;;
	esac
	echo "  [$l]"
}

# demo_say EN [FR]: one line of explanation.
demo_say() { echo "  $(_t "$@")"; }

# demo_lesson EN [FR]: the one line to remember.
demo_lesson() { echo "  $(_b "$(_t "Lesson:" "À retenir :") $(_t "$@")")"; }

# demo_show < text: indented block (e.g. a message, log lines).
demo_show() { sed 's/^/      | /'; }

# demo_showcmd CMD...: print the exact command (shell-quoted), do not run it.
demo_showcmd() {
	local a q=
	for a in "$@"; do
		if [[ $a =~ ^[][A-Za-z0-9@%+=:,./_|-]+$ ]]; then
			q+=" $a"
		else
			q+=" '${a//\'/\'\\\'\'}'"
		fi
	done
	echo "  $(_b "\$${q}")"
}

# demo_cmd DESCRIPTION CMD...: show what runs, run it, show its output.
# Returns the command's status.
demo_cmd() {
	local what=$1 rc
	shift
	echo "  $(_b "\$ $what")"
	"$@" 2>&1 | demo_show
	rc=${PIPESTATUS[0]}
	return "$rc"
}

# demo_ok EN [FR] / demo_bad EN [FR]: a verdict line. demo_bad always
# carries the fixed English marker "NOT AS EXPECTED" for log greps.
demo_ok() { echo "  => $(_t "OK:" "OK :") $(_t "$@")"; }
demo_bad() { echo "  => NOT AS EXPECTED$(_t "" " (résultat inattendu)"): $(_t "$@")"; }

# demo_swaks OUTFILE SWAKS-ARGS...: show the exact swaks command, run it in
# the lab (the client side of the SMTP dialogue is swaks' transcript), keep
# its transcript in OUTFILE, print the dialogue, return swaks' status.
demo_swaks() {
	local out=$1 rc
	shift
	demo_showcmd swaks "$@"
	lab_exec swaks "$@" >"$out" 2>&1
	rc=$?
	demo_part dialogue
	# swaks marks: "<-" server, " ->" client, "<**"/"***" errors.
	grep -E '^ *(<-|->|<\*\*|\*\*\*|<~|~>)' "$out" |
		sed -E 's/^( *(->|~>) +AUTH PLAIN) .*/\1 <base64 of user and password, hidden>/' |
		grep -vE '^ *(->|~>) +[A-Za-z0-9+/=]{16,}$' | demo_show
	return $rc
}

# demo_send TRANSCRIPT FILE IFACE EHLO FROM [CMD...]: a layer's "send" and
# "answer" parts for one mail to alice on port 25: CMD (how FILE was made,
# shown, not run), FILE, then swaks from the lab address IFACE with EHLO
# and envelope FROM, its dialogue and the server's answer. DEMO_ANSWER is
# that answer (a refusal is an outcome to show, not a failure: status 0).
demo_send() {
	local tr=$1 file=$2 iface=$3 ehlo=$4 from=$5
	shift 5
	demo_part send
	[ $# -gt 0 ] && demo_showcmd "$@"
	demo_show <"$file"
	demo_swaks "$tr" --server "$LAB_MX_ADDR" --local-interface "$iface" --ehlo "$ehlo" \
		--from "$from" --to "$LAB_ALICE" --data "@$file" --suppress-data
	demo_part answer
	DEMO_ANSWER=$(demo_swaks_answer "$tr")
	printf '%s\n' "$DEMO_ANSWER" | demo_show
	return 0
}

# demo_swaks_answer FILE: the server's last reply lines in a swaks transcript
# to the end of DATA (or the first refusal).
demo_swaks_answer() {
	grep -E '^ *<(-|\*\*|~)' "$1" | grep -vE ' 221 ' | tail -n 1 | sed -E 's/^ *<[-*~]{1,2} *//'
}

# demo_ar TOKEN USER PASSWORD: the delivered copy's Authentication-Results
# headers (folded lines kept).
demo_ar() {
	lab_mail imap-fetch --user "${2:-alice}" --password "${3:-$LAB_ALICE_PASSWORD}" \
		--search "SUBJECT $1" --count 1 --wait 15 2>/dev/null |
		awk '/^[^ \t]/{p=0} /^[Aa]uthentication-[Rr]esults:/{p=1} /^\r?$/{exit} p'
}

# demo_msg SUBJECT FROM [extra header]: an .eml in DEMO_TMP, path on stdout.
demo_msg() {
	local f=$DEMO_TMP/$1.eml
	{
		printf 'From: %s\r\nTo: alice@lab.example\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@demo.example>\r\n' \
			"$2" "$1" "$(date -R)" "$1"
		[ -n "${3:-}" ] && printf '%s\r\n' "$3"
		printf '\r\nHello Alice,\r\nplease wire 10 000 EUR today.\r\n'
	} >"$f"
	echo "$f"
}

# The hook files the demo lab is started with (one of each, shared by layers).
: "${DEMO_TMP:=$(mktemp -d /tmp/messec-demo.XXXXXX)}"

# demo_add_milter ADDR / demo_add_submission_milter ADDR: add a milter
# (e.g. unix:@LABDIR@/auth.sock) to port 25 / 587, after those already added.
demo_add_milter() { LAB_MILTERS=${LAB_MILTERS:+$LAB_MILTERS,}$1; export LAB_MILTERS; }
demo_add_submission_milter() {
	LAB_SUBMISSION_MILTERS=${LAB_SUBMISSION_MILTERS:+$LAB_SUBMISSION_MILTERS,}$1
	export LAB_SUBMISSION_MILTERS
}

# demo_set_policy ADDR: the check_policy_service address.
demo_set_policy() { export LAB_POLICY=$1; }

# demo_add_postfix_main / demo_add_unbound / demo_add_dovecot /
# demo_add_passdb_first: append stdin to the matching hook file.
_demo_append() {
	local var=$1 file=$DEMO_TMP/$2
	cat >>"$file"
	export "$var=$file"
}
demo_add_postfix_main() { _demo_append LAB_POSTFIX_MAIN_EXTRA postfix-main.extra; }
demo_add_unbound() { _demo_append LAB_UNBOUND_EXTRA unbound.extra; }
demo_add_dovecot() { _demo_append LAB_DOVECOT_EXTRA dovecot.extra; }
demo_add_passdb_first() { _demo_append LAB_DOVECOT_PASSDB_FIRST dovecot-passdb-first.extra; }

# demo_set_dovecot_plugin PATH: an auth plugin .so for the lab's Dovecot.
demo_set_dovecot_plugin() { export LAB_DOVECOT_AUTH_PLUGIN=$1; }

# demo_spawn_before_postfix NAME CMD...: start a daemon in the lab before
# Postfix takes mail (arguments are shell-quoted into LAB_PRE_POSTFIX_HOOK).
demo_spawn_before_postfix() {
	local name=$1 q
	shift
	q=$(printf '%q ' "$@")
	LAB_PRE_POSTFIX_HOOK="${LAB_PRE_POSTFIX_HOOK:+$LAB_PRE_POSTFIX_HOOK && }tests/lab/spawn \"\$LAB_DIR\" $name -- $q"
	export LAB_PRE_POSTFIX_HOOK
}

# demo_add_pre_postfix CMD: a bash command run inside `up` after DNS and
# Dovecot are up and before Postfix takes mail (LAB_DIR, LAB_NS are set),
# e.g. to start a milter so that no layer's mail meets an absent milter.
# Commands of several layers run in order.
demo_add_pre_postfix() {
	LAB_PRE_POSTFIX_HOOK=${LAB_PRE_POSTFIX_HOOK:+$LAB_PRE_POSTFIX_HOOK && }$1
	export LAB_PRE_POSTFIX_HOOK
}

# demo_postfix_set NAME=VALUE...: change the lab's main.cf, reload Postfix
# and wait for the master to have re-read it (used to switch a layer OFF
# and back ON, e.g. lab_port25_milters=). Shows the commands.
demo_postfix_set() {
	local mark
	demo_showcmd postconf -e "$@"
	demo_showcmd postfix reload
	mark=$(lab_log_mark "$LAB_MAILLOG")
	lab_exec postconf -c "$LAB_POSTFIX_CONFIG" -e "$@" >/dev/null &&
		lab_exec postfix -c "$LAB_POSTFIX_CONFIG" reload >/dev/null 2>&1 &&
		lab_wait_log_since "$LAB_MAILLOG" "$mark" 'reload -- version' 10
}

# demo_postfix_get NAME: a main.cf value of the lab's Postfix.
demo_postfix_get() { lab_exec postconf -c "$LAB_POSTFIX_CONFIG" -h "$1"; }

# demo_swaks_qid FILE: the queue id in a swaks transcript ("queued as X").
demo_swaks_qid() { sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' "$1" | tail -n 1; }

# demo_capture_start NAME BPF: start tshark on the lab's loopback (where all
# its addresses live), writing $DEMO_TMP/NAME.pcap; waits until it captures.
# Returns 1 (and says so) when tshark is not installed: the scenario then
# relies on the client's transcript. demo_capture_stop NAME [FILTER] stops
# it (once a packet matching the display FILTER is written, if given).
demo_capture_start() {
	local name=$1 bpf=$2
	if ! command -v tshark >/dev/null; then
		demo_say "(tshark is not installed: no capture; the dialogue shown is the client's transcript)" \
			"(tshark n’est pas installé : pas de capture ; le dialogue montré est la transcription du client)"
		return 1
	fi
	demo_showcmd tshark -i lo -f "$bpf" -w "$name.pcap"
	# Not through the lab_exec function: `&` would fork a bash that
	# ignores SIGINT; `ip netns exec` execs timeout, which passes SIGINT
	# on to tshark (and bounds a capture left running).
	ip netns exec "$LAB_NS" timeout 300 tshark -q -i lo -f "$bpf" -w "$DEMO_TMP/$name.pcap" \
		>"$DEMO_TMP/$name.tshark.log" 2>&1 </dev/null &
	echo $! >"$DEMO_TMP/$name.tshark.pid"
	lab_wait_log "$DEMO_TMP/$name.tshark.log" 'Capture started|Capturing on' 20
}
demo_capture_stop() {
	local pid i
	pid=$(cat "$DEMO_TMP/$1.tshark.pid" 2>/dev/null) || return 0
	# dumpcap writes packets a little after they pass: with a display
	# filter, first wait (5 s at most) until a packet it matches is in.
	if [ -n "${2:-}" ]; then
		for i in $(seq 50); do
			tshark -r "$DEMO_TMP/$1.pcap" -Y "$2" 2>/dev/null | grep -q . && break
			sleep 0.1
		done
	fi
	rm -f "$DEMO_TMP/$1.tshark.pid"
	kill -INT "$pid" 2>/dev/null
	for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}
# demo_capture_show NAME DISPLAY-FILTER: the capture's packet summaries.
demo_capture_show() {
	demo_showcmd tshark -r "$1.pcap" -Y "$2"
	tshark -r "$DEMO_TMP/$1.pcap" -Y "$2" 2>/dev/null | sed -E 's/^ *[0-9]+ +[0-9.]+ +//' | cut -c1-150 | demo_show
}

# demo_logline LOGFILE PROG TEXT...: print (as the "log" part) the newest
# line of LOGFILE holding every TEXT (fixed strings), without the syslog
# prefix up to "PROG...: "; returns 1 when there is none.
demo_logline() {
	local f=$1 prog=$2 l t
	shift 2
	demo_part log
	l=$(cat "$f" 2>/dev/null)
	for t in "$@"; do l=$(grep -F -- "$t" <<<"$l"); done
	l=$(tail -n 1 <<<"$l")
	printf '%s\n' "$l" | sed "s/^.*$prog[^:]*: //" | demo_show
	[ -n "$l" ]
}
