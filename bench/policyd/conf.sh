# shellcheck shell=bash
# NAME
#	bench/policyd/conf.sh - messec-policyd's benchmark configuration,
#	shared by bench/policyd/run and bench/policyd/profile
# SYNOPSIS
#	. bench/policyd/conf.sh
#	pd_login_map FILE            # the generated logins' map
#	pd_conf VARIANT DIR STORE    # DIR/VARIANT.conf: every rule on
# DESCRIPTION
#	PD_PORT gives each variant's port on 127.0.0.1. The login map owns
#	each generated login's own address (loadgen.c: userN@lab.example).
declare -A PD_PORT=([T]=10060 [L]=10061 [R]=10062 [P]=10063 [F]=10064 [W]=10066 [O]=10067 [S]=10068 [V]=10069 [D]=10070)

pd_login_map() {
	local i
	for i in $(seq 0 1999); do echo "user$i@lab.example user$i@lab.example"; done >"$1"
	chmod 644 "$1"
}

pd_conf() {
	cat >"$2/$1.conf" <<X
listen = inet:127.0.0.1:${PD_PORT[$1]}
user = nobody
log_level = warning
max_connections = 4096
rcpt_rules = allow deny sender_login ratelimit greylist
eom_rules = ratelimit
deny_clients = 198.51.100.0/24
allow_client_names = .trusted.example
sender_login_map = $2/login.map
store = $3
ratelimit_limits = sasl_username:messages:1000000/1h:auth sasl_username:recipients:10000000/1d:auth client_net:messages:1000000/1h:anon
greylist_delay = 300s
${PD_EXTRA_CONF:-}
X
	chmod 644 "$2/$1.conf"
}
