#!/usr/bin/perl
# NAME
#	dkim_verify.pl - verify DKIM signatures with Mail::DKIM (an independent verifier)
# SYNOPSIS
#	ip netns exec NS perl tests/lab/dkim_verify.pl < message.eml
# DESCRIPTION
#	Prints one line per signature: "<domain> <selector> <algorithm> <result>
#	[(<detail>)]", e.g. "reject.example rsa2048 rsa-sha256 pass". Keys come
#	from DNS, so run it inside the lab's namespace. Debian 12's Mail::DKIM
#	(1.20230212) has no ed25519-sha256: such signatures print "invalid
#	(unsupported algorithm ed25519-sha256)".
# DIAGNOSTICS
#	Exit 0 if at least one signature passed, 1 otherwise.
use strict;
use warnings;
use Mail::DKIM::Verifier;

my $v = Mail::DKIM::Verifier->new();
while (my $line = <STDIN>) {
	$line =~ s/\r?\n\z/\r\n/;
	$v->PRINT($line);
}
$v->CLOSE;
my $any = 0;
foreach my $s ($v->signatures) {
	my $r = $s->result;
	$any = 1 if $r eq 'pass';
	my $d = $s->result_detail;
	printf "%s %s %s %s%s\n", $s->domain // '-', $s->selector // '-', $s->algorithm // '-', $r,
		($d ne $r ? " ($d)" : '');
}
exit($any ? 0 : 1);
