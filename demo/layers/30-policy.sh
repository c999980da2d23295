# NAME
#	demo/layers/30-policy.sh - layer "policy": sender restrictions (policyd)
# DESCRIPTION
#	Placeholder: the policy daemon is being written. When it lands, replace
#	DEMO_NOT_BUILT by setup() (demo_set_policy ADDR) and run(): a user
#	sending as someone else refused, a burst over the rate limit deferred,
#	greylisting deferred then accepted (see demo/lib.sh and docs/demo.md).
#	Until then `make demo LAYER=policy` says "not built yet" and exits 2,
#	and the full tour prints one SKIPPED line.
# shellcheck disable=SC2034 # read by demo/run
DEMO_NOT_BUILT="policyd is being written; its scenarios come with it"
