package Certhall::Ledger;

# Checks a hall's database and storage against what a Certhall::Load's
# clients were told.  Each check is a Test::More assertion (with the
# offending journal entries in diag), so a fault test calls:
#
#   my $ledger = Certhall::Ledger->new(hall => $hall, load => $load);
#   $ledger->check_all('pg-fast');   # every check below, names prefixed
#   # or one by one:
#   $ledger->check_no_hang;          # no request past its client timeout
#                                    # (+ 1 s for the client's own work)
#   $ledger->check_changes;          # every 2xx change there exactly once,
#                                    # every refusal changed nothing
#   $ledger->check_storage;          # file <-> row, both ways (the files of
#                                    # uploads whose outcome is unknown
#                                    # swept: sweep-storage)
#   $ledger->check_tmp;              # nothing left in storage/tmp
#
# Outcomes of a journal entry (outcome($e)):
#   ok         2xx (3xx for the back office's forms: its 303 is success);
#              for 'notify' the hall acknowledged with "success"
#   refused    4xx; 503 in the error model (database_unavailable,
#              server_busy), the back office's 503 page; 507 storage_full
#              (an upload the storage had no room for: nothing kept); a
#              notify answered anything but "success" (Alipay sends it
#              again)
#   ambiguous  no answer (timeout, connection reset), any other 5xx, and
#              503 database_interrupted (the database went away after the
#              statement was sent: its outcome is unknown to the hall)
# A change is counted per (order, transition) from order_events, so an
# 'ok' submit means exactly one draft -> pending_payment event, a refused
# one none, an ambiguous one at most one.  Other changes: login (sessions
# per account), create (the account's orders the load made), upload (the
# materials row of that order, kind and sha256, and its file), pay
# (alipay_attempts per order), notify (the payment row of out_trade_no),
# approve / reject (the staff_audit row too).

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(time);

use Certhall::Test qw(quote);

# 503 codes that promise nothing happened; any other 5xx is ambiguous
my %REFUSAL_503 = map { $_ => 1 } qw(database_unavailable server_busy);

sub new {
    my ($class, %o) = @_;
    return bless { hall => $o{hall}, load => $o{load},
                   slack => $o{slack} // 1 }, $class;
}

sub outcome {
    my $e = shift;
    my $s = $e->{status} // 0;
    if ($e->{action} eq 'notify') {
        return 'ambiguous' if !$s;
        return $e->{acknowledged} ? 'ok' : ($s >= 500 && ($e->{body} // '') !~ /database_unavailable|server_busy/
                                            ? 'ambiguous' : 'refused');
    }
    return 'ambiguous' if !$s;
    return 'ok' if $s < 400;
    return 'refused' if $s < 500;
    return 'refused' if $s == 507 && ($e->{code} // '') eq 'storage_full';
    if ($s == 503) {
        return 'refused' if $e->{code} && $REFUSAL_503{ $e->{code} };
        # the back office's page says the database was not reached
        return 'refused' if !$e->{code} && $e->{path} =~ m{^/admin/} && $e->{admin_unavailable};
    }
    return 'ambiguous';
}

sub entries { my $self = shift; return $self->{entries} //= [ $self->{load}->journal ] }

sub check_all {
    my ($self, $name) = @_;
    delete $self->{entries};
    $self->check_no_hang($name);
    $self->check_changes($name);
    $self->check_storage($name);
    $self->check_tmp($name);
}

sub check_no_hang {
    my ($self, $name) = @_;
    my $limit = $self->{load}->timeout + $self->{slack};
    my @hung = grep { $_->{timed_out} || $_->{t1} - $_->{t0} > $limit } @{ $self->entries };
    ok !@hung, _n($name, "no request hung past its timeout ($self->{load}{timeout} s)")
        or diag explain [ @hung[0 .. ($#hung < 9 ? $#hung : 9)] ];
}

sub _n { my ($name, $what) = @_; return defined $name ? "$name: $what" : $what }

sub check_changes {
    my ($self, $name) = @_;
    my $hall = $self->{hall};
    my @bad;
    my (%ok, %amb);     # per key: counts
    my %by_key;
    for my $e (@{ $self->entries }) {
        my $out = outcome($e);
        my @keys = _keys($e);
        for my $k (@keys) {
            $by_key{$k}{$out}++;
            push @{ $by_key{$k}{entries} }, $e;
        }
    }
    # what the database holds, per key
    my %have = $self->database_counts(keys %by_key);
    for my $k (sort keys %by_key) {
        my $want_ok = $by_key{$k}{ok} // 0;
        my $amb = $by_key{$k}{ambiguous} // 0;
        my $have = $have{$k} // 0;
        my $fine = $have >= $want_ok && $have <= $want_ok + $amb;
        push @bad, { key => $k, have => $have, ok => $want_ok, ambiguous => $amb,
                     refused => $by_key{$k}{refused} // 0,
                     entries => [ map { { %$_ } } @{ $by_key{$k}{entries} } ] } unless $fine;
    }
    ok !@bad, _n($name, 'every 2xx change is there exactly once, every refused request changed nothing ('
                 . scalar(keys %by_key) . ' changes checked)')
        or diag explain [ @bad[0 .. ($#bad < 9 ? $#bad : 9)] ];
    return !@bad;
}

# the keys of what an entry meant to change; each key's count in the
# database is database_counts'
sub _keys {
    my $e = shift;
    my $a = $e->{action};
    return ("session:$e->{account}") if $a eq 'login';
    return ("created:$e->{account}") if $a eq 'create';
    return ("material:$e->{order}:$e->{kind}:$e->{sha256}") if $a eq 'upload';
    return ("attempt:$e->{order}") if $a eq 'pay';
    return ("payment:$e->{out_trade_no}", "event:$e->{order}:$e->{from}:$e->{to}") if $a eq 'notify';
    return ("event:$e->{order}:$e->{from}:$e->{to}") if $a eq 'submit' || $a eq 'cancel';
    return ("event:$e->{order}:$e->{from}:$e->{to}", "audit:$e->{order}:$a") if $a eq 'approve' || $a eq 'reject';
    return ();
}

sub database_counts {
    my ($self, @keys) = @_;
    my $hall = $self->{hall};
    my %seeded = map { $_ => 1 } $self->{load}->seeded_orders;
    my %have;
    my (%acc, %ord);
    for my $k (@keys) {
        my ($t, @p) = split /:/, $k;
        $acc{ $p[0] } = 1 if $t eq 'session' || $t eq 'created';
        $ord{ $p[0] } = 1 if $t ne 'session' && $t ne 'created' && $t ne 'payment';
    }
    # the load's accounts: their sessions (only logins make them) and the
    # orders they made that were not seeded
    if (%acc) {
        my $in = join ',', map { int } keys %acc;
        $have{"session:$_->[0]"} = $_->[1]
            for $hall->sql("SELECT account_id, count(*) FROM sessions WHERE account_id IN ($in) GROUP BY 1");
        for ($hall->sql("SELECT account_id, id FROM orders WHERE account_id IN ($in)")) {
            $have{"created:$_->[0]"}++ unless $seeded{ $_->[1] };
        }
    }
    if (%ord) {
        my $in = join ',', map { quote($_) } keys %ord;
        $have{"event:$_->[0]:$_->[1]:$_->[2]"} = $_->[3] for $hall->sql(
            "SELECT order_id, coalesce(from_state, ''), to_state, count(*) FROM order_events"
            . " WHERE order_id IN ($in) GROUP BY 1, 2, 3");
        $have{"material:$_->[0]:$_->[1]:$_->[2]"} = $_->[3] for $hall->sql(
            "SELECT order_id, kind, sha256, count(*) FROM materials WHERE order_id IN ($in) GROUP BY 1, 2, 3");
        $have{"attempt:$_->[0]"} = $_->[1] for $hall->sql(
            "SELECT order_id, count(*) FROM alipay_attempts WHERE order_id IN ($in) GROUP BY 1");
        $have{"audit:$_->[0]:$_->[1]"} = $_->[2] for $hall->sql(
            "SELECT order_id, action, count(*) FROM staff_audit WHERE order_id IN ($in)"
            . " AND action IN ('approve', 'reject') GROUP BY 1, 2");
        $have{"payment:$_->[0]"} = $_->[1] for $hall->sql(
            "SELECT out_trade_no, count(*) FROM alipay_payments p WHERE order_id IN ($in) GROUP BY 1");
    }
    return %have;
}

# every stored file has its row (a material, a download's version, an
# invoice's PDF or XML), every row its file.  A file without its row is
# allowed only where the journal explains it: an upload whose outcome is
# unknown (the module keeps its file, in case the row was written); those
# are then taken back by certhall-admin sweep-storage, run as the storage's
# owner with --older-than 0 (the load has stopped: no upload is about to
# commit), and after it none may be left.  sweep => 0 skips the sweep.
sub storage_state {
    my $self = shift;
    my $hall = $self->{hall};
    my $dir = $hall->storage;
    my %files;
    opendir my $dh, $dir or die "$dir: $!";
    for my $sub (grep { /^[0-9a-f]{2}$/ } readdir $dh) {
        opendir my $sh, "$dir/$sub" or next;
        $files{$_} = -s "$dir/$sub/$_" for grep { !/^\./ } readdir $sh;
    }
    my %rows;
    for ($hall->sql(q{
            SELECT sha256, size_bytes FROM materials
            UNION SELECT sha256, NULL FROM download_versions
            UNION SELECT pdf_sha256, NULL FROM invoices
            UNION SELECT request_xml_sha256, NULL FROM invoices WHERE request_xml_sha256 IS NOT NULL
            UNION SELECT answer_xml_sha256, NULL FROM invoices WHERE answer_xml_sha256 IS NOT NULL})) {
        $rows{ $_->[0] } = $_->[1];
    }
    return (\%files, \%rows);
}

sub check_storage {
    my ($self, $name, %o) = @_;
    my $hall = $self->{hall};
    my ($files, $rows) = $self->storage_state;
    my %unknown = map { $_->{sha256} => 1 }
                  grep { $_->{action} eq 'upload' && outcome($_) eq 'ambiguous' } @{ $self->entries };
    my @orphans = grep { !exists $rows->{$_} } sort keys %$files;
    my @unexplained = grep { !$unknown{$_} } @orphans;
    ok !@unexplained, _n($name, 'no file in the storage without its row but those of uploads whose outcome is unknown ('
                               . scalar(keys %$files) . ' files, ' . scalar(@orphans) . ' of those)')
        or diag "without a row: @unexplained";
    if (@orphans && ($o{sweep} // 1)) {
        my ($rc, $out) = $hall->admin({ user => 'nobody' }, 'sweep-storage', '--older-than', '0');
        ($files, $rows) = $self->storage_state;
        my @left = grep { !exists $rows->{$_} } sort keys %$files;
        ok $rc == 0 && !@left, _n($name, 'certhall-admin sweep-storage takes them back: no file without its row')
            or diag "sweep-storage exit $rc: $out; left: @left";
    }
    my @missing = grep { !exists $files->{$_} } sort keys %$rows;
    my @short = grep { exists $files->{$_} && length($rows->{$_} // '') && $files->{$_} != $rows->{$_} } sort keys %$rows;
    ok !@missing && !@short, _n($name, 'no row without its whole file (' . scalar(keys %$rows) . ' rows)')
        or diag "missing: @missing; of another size: @short";
}

sub check_tmp {
    my ($self, $name) = @_;
    my $dir = $self->{hall}->storage . '/tmp';
    opendir my $dh, $dir or return pass(_n($name, 'no temporary file left (no storage/tmp)'));
    my @left = grep { !/^\./ } readdir $dh;
    ok !@left, _n($name, 'no temporary file left in storage/tmp') or diag "left: @left";
}

1;
