# NAME
#	demo/layers/20-av.sh - layer "av": antivirus and attachment policy (milter-av)
# DESCRIPTION
#	Placeholder: milter-av is being written. When it lands, replace
#	DEMO_NOT_BUILT by setup() and run() (see demo/lib.sh and docs/demo.md):
#	EICAR refused, EICAR in a zip refused, .exe blocked by policy, a clean
#	attachment delivered, a phishing link flagged; X-Virus-Status shown.
#	Until then `make demo LAYER=av` says "not built yet" and exits 2, and
#	the full tour prints one SKIPPED line.
# shellcheck disable=SC2034 # read by demo/run
DEMO_NOT_BUILT="milter-av is being written; its scenarios come with it"
