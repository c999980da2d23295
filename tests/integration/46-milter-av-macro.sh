#!/bin/bash
# NAME
#	46-milter-av-macro.sh - Office documents with macros, through real Postfix
# DESCRIPTION
#	The documents are built by the test (av_messages.py word_doc: a
#	minimal OLE2 compound file with a WordDocument stream and, for the
#	macro one, a VBA project "dir" stream compressed as MS-OVBA says; the
#	.docm is a zip holding that project as word/vbaProject.bin). No
#	sample from elsewhere. libclamav's heuristic (CL_SCAN_HEURISTIC_MACROS)
#	finds the macros; macro_action decides:
#	- reject: the .doc and the .docm -> 554 5.7.1 "Office document with
#	  macros not allowed: Heuristics.OLE2.ContainsMacros.VBA", not
#	  delivered; the same .doc without the VBA project -> delivered clean;
#	- tag (after SIGHUP): delivered with X-Virus-Status: infected
#	  (Heuristics.OLE2.ContainsMacros.VBA);
#	- off (the default): delivered, X-Virus-Status: clean.
set -u
. "$(dirname "$0")/milter-av.bash"
av_lab_up "macro_action = reject"
run=mc$RANDOM

for kind in macro-doc macro-docm; do
	s=$run-$kind
	f=$(av_msg "$kind" "$s")
	av_send "$f"
	if [[ $AV_REPLY == *"554 5.7.1 Office document with macros not allowed: Heuristics.OLE2.ContainsMacros"* ]] &&
		av_not_delivered "$s"; then
		ok "$kind, macro_action = reject: 554 5.7.1 naming Heuristics.OLE2.ContainsMacros, not delivered"
	else
		fail "$kind, macro_action = reject: 554 5.7.1" "reply: $AV_REPLY"
	fi
done

# delivered KIND STATUS CASE: KIND is accepted and delivered with an
# X-Virus-Status starting with STATUS.
delivered() {
	local s=$run-$1-$RANDOM got
	av_send "$(av_msg "$1" "$s")"
	got=$(av_fetch "$s" | tr -d '\r')
	if [[ $AV_REPLY == *"250 "* ]] && grep -qF "X-Virus-Status: $2" <<<"$got"; then
		ok "$3"
	else
		fail "$3" "reply: $AV_REPLY; $(grep '^X-Virus' <<<"$got" | tr '\n' '|')"
	fi
}

delivered nomacro-doc clean "the same .doc without a VBA project: delivered, clean"
grep -q "av=macro action=reject" "$AV_LOG" && ok "macro verdict logged (av=macro action=reject)" ||
	fail "macro verdict logged" "$(tail -n 3 "$AV_LOG")"

av_reload "macro_action = tag"
delivered macro-doc "infected (Heuristics.OLE2.ContainsMacros" \
	"macro_action = tag: delivered with X-Virus-Status: infected (Heuristics.OLE2.ContainsMacros...)"

av_reload
delivered macro-doc clean "macro_action = off (default): delivered, clean"
av_finish
