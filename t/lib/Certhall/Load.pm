package Certhall::Load;

# A mixed load against a Certhall::Hall: N forked applicant clients and M
# staff clients doing what users do, through HTTP only, each request with a
# client timeout and journaled.  Its actors (accounts, staff, orders in the
# states the actions need) are seeded with SQL by setup(); the load itself
# never touches the database.
#
#   my $load = Certhall::Load->new(hall => $hall,
#       clients => 4,          # applicants, each with an account of its own
#       staff   => 1,          # reviewers (approve / reject in /admin/)
#       timeout => 10,         # each request's client timeout, seconds
#       orders  => 12,         # seeded per applicant: complete drafts to
#                              # submit and orders in 待支付 to pay; the
#                              # staff get clients * orders / 2 in 待审核
#       mix     => { upload => 0 },   # weights of the applicant's actions
#                                     # (below); 0 leaves one out
#       name    => 'pg-fast'); # the journal's folder name (under the hall's var)
#   $load->setup;              # SQL seeding; once per Load, before start
#   $load->start;              # forks the clients; they run until stop
#   ... break something, $load->wait_requests(N) (N more answered) ...
#   $load->stop;               # each client ends its request in flight and
#                              # exits; waits for them all
#   my @j = $load->journal;    # every request, in start order (hashes below)
#   my $f = $load->figures;    # {sent, answered, failed, refused, longest,
#                              #  ok, hung, unknown} over the whole run, or
#   $load->figures(from => $t0, to => $t1) over requests started then
#   $load->summary('name')     # one line: "name: sent N, answered N (2xx N),
#                              # failed N, longest N.NN s"
#
# Applicant actions (each a journey step; weights in mix):
#   login    POST /api/session phone + password (a session once per client
#            life at least; again with weight)
#   catalog  GET /api/projects
#   list     GET /api/orders, detail GET /api/orders/{id}
#   create   POST /api/orders: a draft (its id kept for uploads, cancel)
#   upload   POST /api/orders/{draft}/materials/{kind}: a scan made by
#            build/bin/mkscan, different bytes each time
#   cancel   POST /api/orders/{draft}/cancel
#   submit   POST /api/orders/{seeded complete draft}/submit
#   pay      POST /api/orders/{seeded 待支付}/pay method=alipay, the signed
#            form posted to the Alipay double's gateway.do, then its /pay
#            (the buyer pays): the double posts the notification to the
#            hall; journaled as action 'notify' with the hall's answer
# Staff actions: approve / reject of seeded 待审核 orders (POST
#   /admin/orders/{id}/approve|reject with a session made by SQL).
#
# A journal entry (one JSON line each, VAR/load-NAME/client-K.jsonl):
#   client, n, action, method, path, t0, t1 (epoch seconds), status (HTTP;
#   0 when there was no answer), code (the error model's code), retry_after,
#   error (transport error text), timed_out (1 when the client gave up),
#   and what the request meant to change: account, order, kind, sha256,
#   out_trade_no, from, to (the state transition), login (staff).
#   For 'notify': status/code are the hall's answer to the double's
#   notification (notify_status, notify_body).

use strict;
use warnings;

use Digest::SHA qw(sha256_hex);
use File::Path qw(make_path);
use HTTP::Tiny;
use JSON::PP;
use POSIX qw(WNOHANG _exit);
use Time::HiRes qw(time sleep);

use Certhall::Test qw(quote make_account pbkdf2_hash);
use Certhall::Admin qw(order_at make_staff);
use Certhall::Upload qw(multipart);

my $JSON = JSON::PP->new->utf8->canonical;
my $SEQ = 0;                    # Loads made by this process
my $PASSWORD = 'load-pass-2026';

my %MIX = (login => 1, catalog => 3, list => 3, detail => 3, create => 2,
           upload => 3, cancel => 1, submit => 2, pay => 2);

sub new {
    my ($class, %o) = @_;
    my $hall = $o{hall} or die "Certhall::Load->new: hall => ...\n";
    my $seq = ++$SEQ;
    my $self = bless {
        hall => $hall, clients => $o{clients} // 4, staff => $o{staff} // 1,
        timeout => $o{timeout} // 10, orders => $o{orders} // 12,
        mix => { %MIX, %{ $o{mix} // {} } }, seq => $seq,
        tag => sprintf('%02d%02d', $$ % 100, $seq),
        name => $o{name} // "load$seq", base => $o{base} // $hall->base,
        admin_base => $o{admin_base},
    }, $class;
    $self->{dir} = $hall->var . "/load-$self->{name}";
    make_path($self->{dir});
    return $self;
}

sub dir { $_[0]{dir} }
sub timeout { $_[0]{timeout} }

sub phone_of { my ($self, $k) = @_; return sprintf('139%04d%04d', $self->{tag}, $k) }
sub order_id_of {
    my ($self, $k, $what, $n) = @_;       # what: 1 submit, 2 pay, 3 review
    return sprintf('UO20261207%s%02d%d%03d', $self->{tag}, $k, $what, $n);
}

# --- set-up --------------------------------------------------------------------

sub setup {
    my $self = shift;
    my $hall = $self->{hall};
    $hall->use_db;
    my $storage = $hall->storage;
    my $seed_scan = `'${\ $hall->root}/build/bin/mkscan' jpg color 400 300 --seed 4000000000`;
    die "mkscan failed\n" unless length $seed_scan;
    $self->{kinds} = [ map { $_->[0] } $hall->sql(
        "SELECT material_kind FROM project_service_materials WHERE project_code = 'xiangtan_ggzy'"
        . " AND service = 'new' AND cert_type = 'org' ORDER BY material_kind") ];
    $self->{terms} = $hall->sql_value("SELECT max(version) FROM agreement_versions"
        . " WHERE code = 'user_terms'") // 1;
    $self->{agreement} = $hall->sql_value("SELECT max(version) FROM agreement_versions"
        . " WHERE code = 'agreement'") // 1;

    my $reviewer = make_staff("fault$self->{tag}", '故障审核员', ['reviewer'], 'staff-pass-2026');
    for my $k (1 .. $self->{clients}) {
        my $phone = $self->phone_of($k);
        my $id = make_account($phone, $PASSWORD,
                              verified => ['张三', '1101**********002X']);
        $self->{account}{$k} = $id;
        for my $n (1 .. $self->{orders}) {
            order_at('draft', complete => 1, id => $self->order_id_of($k, 1, $n), phone => $phone,
                     storage => $storage, file => $seed_scan);
            order_at('pending_payment', id => $self->order_id_of($k, 2, $n), phone => $phone,
                     storage => $storage, file => $seed_scan);
        }
        for my $n (1 .. int($self->{orders} / 2) || 1) {
            order_at('pending_review', id => $self->order_id_of($k, 3, $n), phone => $phone,
                     storage => $storage, file => $seed_scan);
            push @{ $self->{review} }, $self->order_id_of($k, 3, $n);
        }
    }
    # the storage's folders stay the workers' (store_blob made them as root)
    system('chown', '-R', 'nobody:nogroup', $storage);
    for my $s (1 .. $self->{staff}) {
        my $token = sprintf('Fault%sStaff%02d', $self->{tag}, $s);
        $token .= 'x' x (43 - length $token);
        my $csrf = sprintf('Fault%sCsrf%02d', $self->{tag}, $s);
        $csrf .= 'y' x (43 - length $csrf);
        $hall->sql("INSERT INTO staff_sessions (token_hash, staff_id, csrf_token) VALUES"
            . " (sha256(convert_to(" . quote($token) . ", 'UTF8')), $reviewer, " . quote($csrf) . ")");
        $self->{staff_session}{$s} = [$token, $csrf];
    }
    $self->{reviewer} = $reviewer;
    $self->{seeded} = 1;
    return $self;
}

# the ids seeded (so that the Ledger tells them from those the load made)
sub seeded_orders {
    my $self = shift;
    my @ids;
    for my $k (1 .. $self->{clients}) {
        for my $what (1, 2) { push @ids, map { $self->order_id_of($k, $what, $_) } 1 .. $self->{orders} }
        push @ids, map { $self->order_id_of($k, 3, $_) } 1 .. (int($self->{orders} / 2) || 1);
    }
    return @ids;
}

sub accounts { my $self = shift; return %{ $self->{account} } }

# --- running ---------------------------------------------------------------------

sub start {
    my $self = shift;
    die "Certhall::Load: setup first\n" unless $self->{seeded};
    $self->{started} = time;
    # the staff's orders, dealt out
    my @review = @{ $self->{review} // [] };
    my %for_staff;
    my $i = 0;
    push @{ $for_staff{($i++ % $self->{staff}) + 1} }, $_ for @review;
    for my $k (1 .. $self->{clients}) {
        $self->spawn("client-$k", sub { $self->applicant($k) });
    }
    for my $s (1 .. $self->{staff}) {
        $self->spawn("staff-$s", sub { $self->reviewer($s, $for_staff{$s} // []) });
    }
    return $self;
}

sub spawn {
    my ($self, $name, $body) = @_;
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        $SIG{USR1} = sub { $self->{stopping} = 1 };
        $SIG{TERM} = 'DEFAULT';
        $SIG{INT} = 'DEFAULT';
        srand($$ ^ time);
        open my $fh, '>', "$self->{dir}/$name.jsonl" or _exit(3);
        $fh->autoflush(1);
        $self->{journal_fh} = $fh;
        $self->{client_name} = $name;
        my $ok = eval { $body->(); 1 };
        print STDERR "$name: $@" unless $ok;
        close $fh;
        _exit($ok ? 0 : 1);
    }
    $self->{pids}{$pid} = $name;
}

sub stop {
    my $self = shift;
    kill 'USR1', keys %{ $self->{pids} };
    # each ends its request in flight: bounded by its timeout, and a pay
    # journey by three of them
    my $until = time + 4 * $self->{timeout} + 10;
    while (%{ $self->{pids} } && time < $until) {
        for my $pid (keys %{ $self->{pids} }) {
            delete $self->{pids}{$pid} if waitpid($pid, WNOHANG) == $pid;
        }
        sleep 0.02;
    }
    my @left = keys %{ $self->{pids} };
    kill 'KILL', @left if @left;
    waitpid($_, 0) for @left;
    $self->{pids} = {};
    $self->{stopped} = time;
    die "Certhall::Load: clients that did not stop: @left\n" if @left;
    return $self;
}

# waits until $n more requests (of the whole load) have been answered, or
# $seconds passed; returns how many came
sub answered_count { my $self = shift; return scalar grep { $_->{status} } $self->journal }
sub wait_requests {
    my ($self, $n, $seconds) = @_;
    my $from = $self->answered_count;
    my $got = 0;
    Certhall::Hall::wait_for(sub { ($got = $self->answered_count - $from) >= $n }, $seconds // 30);
    return $got;
}

sub journal {
    my $self = shift;
    my @all;
    opendir my $dh, $self->{dir} or return ();
    for my $f (sort grep { /\.jsonl$/ } readdir $dh) {
        open my $fh, '<', "$self->{dir}/$f" or next;
        while (my $line = <$fh>) {
            next unless $line =~ /\}\s*$/;      # a line being written
            push @all, $JSON->decode($line);
        }
    }
    return sort { $a->{t0} <=> $b->{t0} } @all;
}

sub figures {
    my ($self, %o) = @_;
    my @j = grep { (!defined $o{from} || $_->{t0} >= $o{from}) && (!defined $o{to} || $_->{t0} < $o{to}) }
            $self->journal;
    my %f = (sent => scalar @j, answered => 0, ok => 0, failed => 0, refused => 0,
             hung => 0, longest => 0, unknown => 0);
    for my $e (@j) {
        my $wait = $e->{t1} - $e->{t0};
        $f{longest} = $wait if $wait > $f{longest};
        $f{hung}++ if $e->{timed_out};
        # no answer, or one that says the outcome is unknown
        $f{unknown}++ if !$e->{status} || ($e->{code} // '') eq 'database_interrupted';
        if (!$e->{status}) { $f{failed}++; next }
        $f{answered}++;
        if ($e->{status} < 400) { $f{ok}++ }
        elsif ($e->{status} >= 500) { $f{failed}++ }
        else { $f{refused}++ }
    }
    return \%f;
}

sub summary {
    my ($self, $name, %o) = @_;
    my $f = $self->figures(%o);
    return sprintf('%s: sent %d, answered %d (2xx/3xx %d, 4xx %d), failed %d (5xx or no answer;'
                   . ' outcome unknown %d), longest wait %.2f s',
                   $name // $self->{name}, @$f{qw(sent answered ok refused failed unknown longest)});
}

# --- the clients ---------------------------------------------------------------------

sub http {
    my $self = shift;
    return $self->{http} //= HTTP::Tiny->new(timeout => $self->{timeout}, keep_alive => 1,
                                             max_redirect => 0, agent => 'certhall-load/1');
}

# one request, journaled: ($res, $json_or_undef)
sub request {
    my ($self, $method, $url, %o) = @_;
    my $intent = delete $o{intent} // {};
    my $t0 = time;
    my $res = $self->http->request($method, $url, \%o);
    my $t1 = time;
    my %e = (client => $self->{client_name}, n => ++$self->{n}, method => $method,
             path => ($url =~ m{^https?://[^/]+(/.*)$})[0] // $url, t0 => $t0, t1 => $t1,
             %$intent);
    my $json;
    # the back office's page for a database it could not reach (bytes:
    # the page is UTF-8, this file is not read as characters)
    $e{admin_unavailable} = 1 if $res->{status} == 503 && $e{path} =~ m{^/admin/}
        && ($res->{content} // '') =~ /\xe6\x95\xb0\xe6\x8d\xae\xe5\xba\x93\xe6\x9a\x82\xe6\x97\xb6\xe4\xb8\x8d\xe5\x8f\xaf\xe7\x94\xa8/;
    if ($res->{status} == 599) {
        $e{status} = 0;
        $e{error} = substr($res->{content} // '', 0, 200);
        $e{timed_out} = 1 if $e{error} =~ /timed out/i;
        # a dead keep-alive connection is not reused
        delete $self->{http};
    } else {
        $e{status} = $res->{status};
        if (($res->{headers}{'content-type'} // '') =~ /json/) {
            $json = eval { $JSON->decode($res->{content}) };
            $e{code} = $json->{error}{code} if ref $json eq 'HASH' && ref $json->{error} eq 'HASH';
        }
        $e{retry_after} = $res->{headers}{'retry-after'} if defined $res->{headers}{'retry-after'};
        $e{error_model} = 1 if $e{code};
    }
    $self->journal_line(\%e);
    return ($res, $json, \%e);
}

sub journal_line {
    my ($self, $e) = @_;
    print { $self->{journal_fh} } $JSON->encode($e) . "\n";
}

# a pause after a refusal, so that a client does not spin while the hall
# is down (the website waits for Retry-After; this keeps requests coming)
sub breathe { sleep 0.05 }

sub form { return ('Content-Type' => 'application/x-www-form-urlencoded') }

sub applicant {
    my ($self, $k) = @_;
    my $base = $self->{base};
    my $phone = $self->phone_of($k);
    my $account = $self->{account}{$k};
    my @submit = map { $self->order_id_of($k, 1, $_) } 1 .. $self->{orders};
    my @pay = map { $self->order_id_of($k, 2, $_) } 1 .. $self->{orders};
    my @drafts;                 # made by this client, not yet cancelled
    my @mine = (@submit, @pay);
    my ($cookie, $csrf);
    my $scan_n = 0;
    my @actions = map { ($_) x $self->{mix}{$_} } sort keys %{ $self->{mix} };

    until ($self->{stopping}) {
        if (!$cookie) {
            my ($res, $json) = $self->request('POST', "$base/api/session",
                headers => { form() }, content => "phone=$phone&password=$PASSWORD",
                intent => { action => 'login', account => $account });
            if ($res->{status} == 200) {
                my $sc = $res->{headers}{'set-cookie'} // '';
                $sc = join "\n", @$sc if ref $sc;
                ($cookie) = $sc =~ /certhall_session=([^;\s]+)/;
                $csrf = $json->{csrf_token};
            } else { breathe(); }
            next;
        }
        my %auth = (Cookie => "certhall_session=$cookie", 'X-CSRF-Token' => $csrf);
        my $a = $actions[int rand @actions];
        my ($res, $json, $e);
        if ($a eq 'login') {
            undef $cookie;
            next;
        } elsif ($a eq 'catalog') {
            ($res) = $self->request('GET', "$base/api/projects", intent => { action => 'catalog' });
        } elsif ($a eq 'list') {
            ($res) = $self->request('GET', "$base/api/orders", headers => \%auth,
                                    intent => { action => 'list', account => $account });
        } elsif ($a eq 'detail') {
            my $o = $mine[int rand @mine];
            ($res) = $self->request('GET', "$base/api/orders/$o", headers => \%auth,
                                    intent => { action => 'detail', order => $o });
        } elsif ($a eq 'create') {
            ($res, $json) = $self->request('POST', "$base/api/orders", headers => { %auth, form() },
                content => "project=xiangtan_ggzy&service=new&cert_type=org&agree_terms=1&terms_version=$self->{terms}",
                intent => { action => 'create', account => $account });
            if ($res->{status} == 201 && $json && $json->{id}) {
                push @drafts, $json->{id};
                push @mine, $json->{id};
            }
        } elsif ($a eq 'upload') {
            next unless @drafts;
            my $o = $drafts[-1];
            my $kind = $self->{kinds}[int rand @{ $self->{kinds} }];
            # mkscan's seed is 32 bits: this Load, this client, this upload
            my $seed = ($self->{seq} * 100 + $k) * 100000 + ++$scan_n;
            my $bytes = `'${\ $self->{hall}->root}/build/bin/mkscan' jpg color 800 600 --seed $seed`;
            ($res) = $self->request('POST', "$base/api/orders/$o/materials/$kind",
                headers => { %auth, 'Content-Type' => "multipart/form-data; boundary=$Certhall::Upload::BOUNDARY" },
                content => multipart(['file', "$kind.jpg", 'image/jpeg', $bytes]),
                intent => { action => 'upload', order => $o, kind => $kind,
                            sha256 => sha256_hex($bytes), size => length $bytes });
        } elsif ($a eq 'cancel') {
            next unless @drafts > 1;        # the newest keeps taking uploads
            my $o = shift @drafts;
            ($res) = $self->request('POST', "$base/api/orders/$o/cancel", headers => { %auth, form() },
                content => '', intent => { action => 'cancel', order => $o,
                                           from => 'draft', to => 'cancelled' });
        } elsif ($a eq 'submit') {
            next unless @submit;
            my $o = shift @submit;
            ($res) = $self->request('POST', "$base/api/orders/$o/submit", headers => { %auth, form() },
                content => "agree=1&agreement_version=$self->{agreement}&delivery=pickup&pickup_point=changsha",
                intent => { action => 'submit', order => $o, from => 'draft', to => 'pending_payment' });
            # a refused submit is not tried again: the Ledger checks it changed nothing
        } elsif ($a eq 'pay') {
            next unless @pay;
            my $o = shift @pay;
            $res = $self->pay($o, \%auth);
        }
        if ($res && $res->{status} == 401) { undef $cookie }
        breathe() if !$res || $res->{status} >= 500 || $res->{status} == 0 || $res->{status} == 599;
    }
}

# the buyer pays order $o by Alipay, through the double
sub pay {
    my ($self, $o, $auth) = @_;
    my ($res, $json) = $self->request('POST', "$self->{base}/api/orders/$o/pay",
        headers => { %$auth, form() }, content => 'method=alipay&channel=page',
        intent => { action => 'pay', order => $o });
    return $res unless $res->{status} == 200 && $json && $json->{fields};
    my $fields = join '&', map {
        my $v = $json->{fields}{$_};
        utf8::encode($v) if utf8::is_utf8($v);
        $v =~ s/([^A-Za-z0-9._~-])/sprintf '%%%02X', ord $1/ge;
        "$_=$v" } sort keys %{ $json->{fields} };
    my $out_trade_no = $json->{out_trade_no};
    # the double, not the hall: not journaled as the hall's requests
    my $http = HTTP::Tiny->new(timeout => $self->{timeout}, max_redirect => 0);
    my $g = $http->post($json->{gateway}, { headers => { form() }, content => $fields });
    return $res unless $g->{status} == 200;
    my $t0 = time;
    my $p = $http->post($self->{hall}->double_url('alipay-gateway') . '/pay',
                        { headers => { form(), Accept => 'application/json' },
                          content => "out_trade_no=$out_trade_no" });
    my $answer = $p->{status} == 200 ? eval { $JSON->decode($p->{content}) } : undef;
    my %e = (client => $self->{client_name}, n => ++$self->{n}, action => 'notify',
             method => 'POST', path => '/api/alipay/notify', t0 => $t0, t1 => time,
             order => $o, out_trade_no => $out_trade_no, from => 'pending_payment',
             to => 'pending_review');
    if ($answer) {
        $e{status} = $answer->{notify_status} // 0;
        $e{status} = 0 if $e{status} == 599;
        $e{body} = substr($answer->{notify_body} // '', 0, 200);
        $e{trade_no} = $answer->{trade_no};
        # Alipay's contract: "success" is the only acknowledgement
        $e{acknowledged} = ($e{status} == 200 && $e{body} eq 'success') ? 1 : 0;
    } else {
        $e{status} = 0;
        $e{error} = "the double's /pay: $p->{status} " . substr($p->{content} // '', 0, 200);
    }
    $self->journal_line(\%e);
    return $res;
}

sub reviewer {
    my ($self, $s, $orders) = @_;
    my ($token, $csrf) = @{ $self->{staff_session}{$s} };
    my $base = $self->{admin_base} // $self->{base};
    my $n = 0;
    until ($self->{stopping}) {
        my $o = shift @$orders;
        if (!defined $o) {
            # nothing left to review: the queue page, as staff watch it
            $self->request('GET', "$base/admin/orders", headers => { Cookie => "certhall_admin=$token" },
                           intent => { action => 'queue' });
            sleep 0.1;
            next;
        }
        my $reject = ++$n % 3 == 0;
        my ($res) = $self->request('POST', "$base/admin/orders/$o/" . ($reject ? 'reject' : 'approve'),
            headers => { form(), Cookie => "certhall_admin=$token" },
            content => "csrf=$csrf" . ($reject ? '&reason=%E8%B5%84%E6%96%99%E4%B8%8D%E6%B8%85%E6%99%B0&kind.legal_id_front=1' : ''),
            intent => { action => $reject ? 'reject' : 'approve', order => $o, login => "fault$self->{tag}",
                        from => 'pending_review', to => $reject ? 'rejected' : 'pending_shipment' });
        breathe() if $res->{status} >= 500 || $res->{status} == 599;
    }
}

1;
