# pipelab's Perl client: print on an IO::Socket (autoflushed, so each print is a write(2)) with
# Perl's default SIGPIPE disposition, which lets the signal end the program. One JSON line per
# send on stdout; the environment it reads is described in Clients/README.md.
use strict;
use warnings;
use IO::Handle;
use IO::Socket::IP;
use Time::HiRes qw(nanosleep);

STDOUT->autoflush(1);
my $sends = $ENV{PIPELAB_SENDS} // 3;
my $payload = "\0" x ($ENV{PIPELAB_PAYLOAD_BYTES} // 5);
my $sleep_ns = $ENV{PIPELAB_SLEEP_NS} // 0;
my $interval_ns = $ENV{PIPELAB_INTERVAL_NS} // 0;

my $socket = IO::Socket::IP->new(PeerHost => $ENV{PIPELAB_HOST}, PeerPort => $ENV{PIPELAB_PORT}, Proto => 'tcp')
    or die "connect: $@\n";
for my $n (1 .. $sends) {
    if ($n == 2) { nanosleep($sleep_ns) if $sleep_ns > 0 }
    elsif ($interval_ns > 0) { nanosleep($interval_ns) }
    if (print {$socket} $payload) {
        print "{\"send\":$n,\"ok\":true,\"bytes\":" . length($payload) . "}\n";
    } else {
        printf "{\"send\":%d,\"ok\":false,\"errno\":%d,\"message\":\"%s\"}\n", $n, $! + 0, "$!";
    }
}
close $socket;
print "{\"end\":\"returned\"}\n";
